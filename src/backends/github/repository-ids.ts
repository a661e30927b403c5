// A trusted publisher is pinned by GitHub's numeric repository and owner ids (keyless-v1): a renamed or re-created
// repository keeps its name but not its id. Copying ids by hand invites typos, so `registry add-publisher` looks
// them up through the GitHub backend the config names. GitHub's answer is checked like any other input.
import { ForgegateError } from '../../errors.js';
import { splitRepository, type GitHubGraphQL } from './client.js';

export interface RepositoryIds {
  /** `owner/name` as GitHub spells it now. */
  repository: string;
  repositoryId: string;
  ownerId: string;
}

const QUERY = `query($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    databaseId
    nameWithOwner
    owner { __typename ... on User { databaseId } ... on Organization { databaseId } }
  }
}`;

interface Answer {
  repository?: {
    databaseId?: unknown;
    nameWithOwner?: unknown;
    owner?: { databaseId?: unknown } | null;
  } | null;
}

const decimalId = (v: unknown): string | null =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? String(v) : null;

export async function lookUpRepositoryIds(gh: GitHubGraphQL, repository: string): Promise<RepositoryIds> {
  const { owner, name } = splitRepository(repository);
  const answer = await gh.run<Answer>(`repository ${repository}`, QUERY, { owner, name });
  const repo = answer.repository;
  if (repo === null || repo === undefined)
    throw new ForgegateError(
      'FG_INPUT_INVALID',
      `GitHub has no repository ${repository} (or the token cannot see it)`,
      {
        fix: 'Check --repository (owner/name of the feedstock repository whose CI attests).',
      },
    );
  const repositoryId = decimalId(repo.databaseId);
  const ownerId = decimalId(repo.owner?.databaseId);
  const spelled = typeof repo.nameWithOwner === 'string' ? repo.nameWithOwner : null;
  if (repositoryId === null || ownerId === null || spelled === null)
    throw new ForgegateError('FG_REGISTRY_UNAVAILABLE', `GitHub's answer for ${repository} has no usable ids`, {
      transient: true,
      fix: 'Retry, or give --repository-id and --owner-id (gh api repos/OWNER/NAME --jq ".id, .owner.id").',
    });
  // GitHub follows a rename to the new repository: its certificates name the new one, so the publisher must too.
  if (spelled.toLowerCase() !== repository.toLowerCase())
    throw new ForgegateError('FG_INPUT_INVALID', `GitHub says ${repository} is now ${spelled}`, {
      fix: `The repository was renamed or transferred: pass --repository ${spelled}.`,
    });
  return { repository: spelled, repositoryId, ownerId };
}
