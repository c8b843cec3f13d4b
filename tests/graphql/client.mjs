// A real JS client (npm graphql-request, test tooling only) against a
// running gateway: a query with variables and fragments, and a mutation.
//
//   node tests/graphql/client.mjs URL TOKEN CALL_ID
import { createRequire } from 'node:module';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const require = createRequire(join(process.cwd(), 'tools/node/package.json'));
const { GraphQLClient, gql, ClientError } = await import(
  require.resolve('graphql-request'));

const [url, token, callId] = process.argv.slice(2);
const client = new GraphQLClient(url, { headers: { authorization: `Bearer ${token}` } });

const CallCard = gql`
  fragment CallCard on Call { id uuid title { fr } status budgetMinor }
`;
const data = await client.request(gql`
  query Calls($region: String!, $first: Int!, $id: ID!) {
    calls(region: $region, first: $first) { nodes { ...CallCard } pageInfo { hasNextPage } }
    call(id: $id) { ...CallCard applications { nodes { id } } }
    themes { code label }
  }
  ${CallCard}
`, { region: 'oriental', first: 5, id: callId });
assert.equal(data.call.uuid, callId);
assert.ok(data.calls.nodes.length >= 1);
assert.ok(data.themes.length >= 1);

// a mutation refused by the service comes back as a GraphQL error
try {
  await client.request(gql`
    mutation Move($id: ID!) { transitionCall(id: $id, to: "nowhere") { status } }
  `, { id: callId });
  assert.fail('the transition was accepted');
} catch (e) {
  assert.ok(e instanceof ClientError, String(e));
  const codes = e.response.errors.map((x) => x.extensions?.code);
  assert.ok(codes.some((c) => c === 'CONFLICT' || c === 'BAD_USER_INPUT'), JSON.stringify(e.response.errors));
}
console.log(`graphql-request: query with variables and a fragment (${data.calls.nodes.length} calls), mutation error mapped`);
