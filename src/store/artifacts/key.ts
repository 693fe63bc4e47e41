// Artifact keys name files in the local folder and objects in S3 alike, so one rule keeps them
// safe as both: no way out of the folder, and no two spellings of the same file.
export const ARTIFACT_KEY_MAX = 512;

const KEY = /^[a-z0-9][a-z0-9._/-]*$/;

/** Why `key` is not a valid artifact key, or null when it is. */
export function artifactKeyProblem(key: string): string | null {
  if (key.length === 0) return "it is empty";
  if (key.length > ARTIFACT_KEY_MAX) return `it is longer than ${ARTIFACT_KEY_MAX} characters`;
  if (!KEY.test(key))
    return "it must start with a lowercase letter or digit and hold only a-z 0-9 . _ / -";
  if (key.includes("..")) return 'it contains ".."';
  // "a//b", "a/./b" and "a/" name the same file as "a/b" or "a" on disk but another object in S3.
  if (key.split("/").some((part) => part === "" || part === "."))
    return 'it has an empty or "." path segment';
  return null;
}

/** Throws one clear line unless `key` is a valid artifact key. */
export function assertArtifactKey(key: string): void {
  const problem = artifactKeyProblem(key);
  if (!problem) return;
  const shown = key.length > 80 ? `${key.slice(0, 80)}…` : key;
  throw new Error(`invalid artifact key ${JSON.stringify(shown)}: ${problem}`);
}
