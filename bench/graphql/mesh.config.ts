// GraphQL Mesh v1 (benchmark reference only, `make bench-graphql`): the
// funding service's OpenAPI file composed into a supergraph, with the two
// nested fields the benchmark's nested query needs (a call's applications,
// an application's appraisals) added the documented way (additionalTypeDefs
// + @resolveTo). FUNDING_URL is the funding service the bench started;
// MESH_SPEC the (possibly preprocessed) copy of openapi/funding.yaml.
import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';

export const composeConfig = defineConfig({
  subgraphs: [
    {
      sourceHandler: loadOpenAPISubgraph('funding', {
        source: process.env.MESH_SPEC || '../../openapi/funding.yaml',
        endpoint: process.env.FUNDING_URL || 'http://127.0.0.1:8081',
        operationHeaders: { Authorization: '{context.headers.authorization}' },
      }),
    },
  ],
  additionalTypeDefs: /* GraphQL */ `
    extend type Call {
      applications(limit: Int): ApplicationPage
        @resolveTo(sourceName: "funding", sourceTypeName: "Query", sourceFieldName: "listCallApplications",
                   requiredSelectionSet: "{ id }", sourceArgs: { id: "{root.id}", limit: "{args.limit}" })
    }
    extend type Application {
      appraisals(limit: Int): AppraisalPage
        @resolveTo(sourceName: "funding", sourceTypeName: "Query", sourceFieldName: "listAppraisals",
                   requiredSelectionSet: "{ id }", sourceArgs: { application_id: "{root.id}", limit: "{args.limit}" })
    }
  `,
});
