-- benchvault schema, version 8: a project's repository.
--
-- The web address of the project's source repository (an http or https
-- URL, e.g. https://github.com/org/repo), set with PATCH
-- /api/v1/projects/{project}.  The pages link a commit to
-- {repository_url}/commit/{sha} and a commit range to
-- {repository_url}/compare/{last good}...{first bad}, which GitHub, GitLab
-- and Gitea all answer.  NULL: unknown, commits link nowhere.  Additive: no
-- existing row changes.
ALTER TABLE project ADD COLUMN repository_url TEXT;
