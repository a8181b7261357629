"""GP Connect sandbox provider."""
