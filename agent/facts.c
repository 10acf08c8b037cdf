/*
 * Facts about the run: the repository (git), the CI service, the machine.
 *
 * Design notes:
 *  1. Precedence, lowest first: the results file's own facts, then git,
 *     then CI variables, then flags (applied by the caller).  git describes
 *     the checkout that was measured; CI variables know what git cannot in
 *     a detached checkout (the branch name, the pull request).
 *  2. GitHub Actions: branch = GITHUB_HEAD_REF on pull requests (the
 *     source branch), else GITHUB_REF_NAME; base = GITHUB_BASE_REF; the
 *     pull-request number is read from the event JSON (GITHUB_EVENT_PATH),
 *     not parsed out of GITHUB_REF ("refs/pull/42/merge"), which only some
 *     events carry.  The run URL is SERVER/REPOSITORY/actions/runs/RUN_ID.
 *     GitLab CI: CI_COMMIT_SHA, CI_COMMIT_REF_NAME (or the merge request's
 *     source branch), CI_MERGE_REQUEST_IID,
 * CI_MERGE_REQUEST_TARGET_BRANCH_NAME, CI_JOB_URL.
 *  4. A pull request's CI job checks out a merge of the pull request into
 *     its base (GitHub: refs/pull/N/merge, whose sha is GITHUB_SHA;
 *     GitLab's merged-results pipelines: CI_COMMIT_SHA).  That commit is
 *     synthetic and soon gone; the run is stored under the pull request's
 *     own head commit (GitHub: the event's pull_request.head.sha; GitLab:
 *     CI_MERGE_REQUEST_SOURCE_BRANCH_SHA, set only in merged results
 *     pipelines), and the commit measured is kept as metadata "checkout".
 *     The merge-base is still taken from HEAD: what was measured is the
 *     merge, whose base is the base branch's tip.
 *  3. The merge-base with the base branch is what a pull request should be
 *     compared with (the base branch may have moved on since the branch
 *     point).  It needs the base branch's history in the checkout
 *     (actions/checkout with fetch-depth: 0); when it cannot be found the
 *     comparison falls back to the base branch's latest runs.  The run
 *     carries it in metadata as "merge_base" and as "base_commit" {sha,
 *     time}, the member the server's comparison reads to pick the base
 *     branch's run at (or just before) the branch point.
 */
#include "agent/agent_int.h"

#include <stdlib.h>
#include <string.h>

#define GIT_TIMEOUT_MS 10000
#define GIT_MAX_OUTPUT ((size_t)64 << 10)

void agent_facts_init(struct agent_facts *f)
{
    memset(f, 0, sizeof *f);
    f->commit_time = TIME_NONE;
    f->merge_base_time = TIME_NONE;
}

void agent_facts_cleanup(struct agent_facts *f)
{
    if (!f)
        return;
    free(f->branch);
    free(f->commit_sha);
    free(f->commit_message);
    free(f->commit_author);
    free(f->base_branch);
    free(f->merge_base);
    free(f->ci_provider);
    free(f->ci_url);
    free(f->ci_job);
    free(f->repository);
    free(f->checkout_sha);
    agent_facts_init(f);
}

static void set(char **field, const char *v)
{
    if (!v || !*v)
        return;
    free(*field);
    *field = xstrdup(v);
}

/* Output of `git ARGS...` with the trailing newlines cut; NULL on failure. */
static char *git(const char *a1, const char *a2, const char *a3, const char *a4)
{
    char *argv[] = {"git",      (char *)a1, (char *)a2,
                    (char *)a3, (char *)a4, NULL};
    struct buf out;
    int code = -1;
    char *s;

    buf_init(&out, 0);
    if (agent_capture(argv, GIT_TIMEOUT_MS, GIT_MAX_OUTPUT, &out, &code) ||
        code != 0) {
        buf_cleanup(&out);
        return NULL;
    }
    while (out.len &&
           (out.data[out.len - 1] == '\n' || out.data[out.len - 1] == '\r'))
        out.data[--out.len] = '\0';
    s = buf_take(&out);
    return s;
}

/* The committer time, author and message of rev (NULL: HEAD) into f. */
static void read_commit(struct agent_facts *f, const char *rev)
{
    char *v = git("log", "-1", "--format=%cI%n%an%n%B", rev), *nl;

    if (v && (nl = strchr(v, '\n')) != NULL) {
        char *author = nl + 1, *msg;
        int64_t t;

        *nl = '\0';
        if (time_parse_iso(v, &t, NULL) == ERR_OK)
            f->commit_time = t;
        msg = strchr(author, '\n');
        if (msg) {
            *msg++ = '\0';
            set(&f->commit_message, msg);
        }
        set(&f->commit_author, author);
    }
    free(v);
}

enum err agent_facts_git(struct agent_facts *f, struct errbuf *eb)
{
    char *sha = git("rev-parse", "--verify", "HEAD", NULL), *v;

    if (!sha) {
        err_set(eb, "no git facts: not a git checkout, or git is missing");
        return ERR_OK;
    }
    set(&f->commit_sha, sha);
    free(sha);
    /* A detached HEAD (CI checkouts) answers "HEAD": no branch from git. */
    v = git("rev-parse", "--abbrev-ref", "HEAD", NULL);
    if (v && strcmp(v, "HEAD") != 0)
        set(&f->branch, v);
    free(v);
    read_commit(f, NULL);
    return ERR_OK;
}

void agent_facts_commit_settle(struct agent_facts *f, const char *git_head)
{
    if (!f->commit_sha || !git_head || !strcmp(f->commit_sha, git_head))
        return;
    set(&f->checkout_sha, git_head);
    /* HEAD's time, author and message are not the named commit's. */
    f->commit_time = TIME_NONE;
    free(f->commit_author);
    f->commit_author = NULL;
    free(f->commit_message);
    f->commit_message = NULL;
    if (f->commit_sha[0] != '-') /* never an option of git log */
        read_commit(f, f->commit_sha);
}

enum err agent_facts_merge_base(struct agent_facts *f)
{
    char *ref, *mb;
    int64_t t;

    if (!f->base_branch)
        return ERR_NOT_FOUND;
    ref = xasprintf("origin/%s", f->base_branch);
    mb = git("merge-base", "HEAD", ref, NULL);
    free(ref);
    if (!mb)
        mb = git("merge-base", "HEAD", f->base_branch, NULL);
    if (!mb || !*mb) {
        free(mb);
        return ERR_NOT_FOUND;
    }
    free(f->merge_base);
    f->merge_base = mb;
    /* Its time lets the server pick the base branch's run at or before
     * the branch point when no run of that very commit exists. */
    mb = git("log", "-1", "--format=%cI", f->merge_base);
    if (mb && time_parse_iso(mb, &t, NULL) == ERR_OK)
        f->merge_base_time = t;
    free(mb);
    return ERR_OK;
}

static const char *env_default(const char *name, void *ud)
{
    (void)ud;
    return getenv(name);
}

static const char *val(agent_getenv_fn get, void *ud, const char *name)
{
    const char *v = get(name, ud);

    return v && *v ? v : NULL;
}

static void github(struct agent_facts *f, agent_getenv_fn get, void *ud,
                   struct errbuf *eb)
{
    const char *server = val(get, ud, "GITHUB_SERVER_URL");
    const char *repo = val(get, ud, "GITHUB_REPOSITORY");
    const char *run_id = val(get, ud, "GITHUB_RUN_ID");
    const char *event = val(get, ud, "GITHUB_EVENT_PATH");

    set(&f->ci_provider, "github");
    set(&f->commit_sha, val(get, ud, "GITHUB_SHA"));
    set(&f->branch, val(get, ud, "GITHUB_REF_NAME"));
    set(&f->branch, val(get, ud, "GITHUB_HEAD_REF"));
    set(&f->base_branch, val(get, ud, "GITHUB_BASE_REF"));
    set(&f->ci_job, val(get, ud, "GITHUB_JOB"));
    set(&f->repository, repo);
    if (server && repo && run_id) {
        char *url = xasprintf("%s/%s/actions/runs/%s", server, repo, run_id);

        set(&f->ci_url, url);
        free(url);
    }
    if (event) {
        struct buf body;
        struct errbuf ev;
        struct ingest_ci_event ce;

        buf_init(&body, 0);
        err_init(&ev);
        memset(&ce, 0, sizeof ce);
        if (file_read(event, (size_t)16 << 20, &body, &ev) ||
            ingest_ci_event_read(body.data, body.len, &ce, &ev)) {
            err_set(eb, "GITHUB_EVENT_PATH: %s", ev.msg);
        } else if (ce.pr_number > 0) {
            f->pr_number = ce.pr_number;
            set(&f->commit_sha, ce.head_sha); /* note 4 */
            f->fork = ce.head_repo && ce.base_repo &&
                      strcmp(ce.head_repo, ce.base_repo) != 0;
        }
        ingest_ci_event_cleanup(&ce);
        err_cleanup(&ev);
        buf_cleanup(&body);
    }
}

static void gitlab(struct agent_facts *f, agent_getenv_fn get, void *ud)
{
    const char *iid = val(get, ud, "CI_MERGE_REQUEST_IID");
    const char *ts = val(get, ud, "CI_COMMIT_TIMESTAMP");
    int64_t v;

    set(&f->ci_provider, "gitlab");
    set(&f->commit_sha, val(get, ud, "CI_COMMIT_SHA"));
    /* merged results pipelines: the merge request's own head (note 4) */
    set(&f->commit_sha, val(get, ud, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"));
    set(&f->branch, val(get, ud, "CI_COMMIT_REF_NAME"));
    set(&f->branch, val(get, ud, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"));
    set(&f->base_branch, val(get, ud, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"));
    set(&f->ci_url, val(get, ud, "CI_JOB_URL"));
    set(&f->ci_job, val(get, ud, "CI_JOB_NAME"));
    set(&f->commit_message, val(get, ud, "CI_COMMIT_MESSAGE"));
    set(&f->repository, val(get, ud, "CI_PROJECT_PATH"));
    if (ts && time_parse_iso(ts, &v, NULL) == ERR_OK)
        f->commit_time = v;
    if (iid && parse_int64(iid, 1, INT64_MAX, &v) == ERR_OK)
        f->pr_number = v;
    {
        const char *src = val(get, ud, "CI_MERGE_REQUEST_SOURCE_PROJECT_ID");
        const char *dst = val(get, ud, "CI_MERGE_REQUEST_PROJECT_ID");

        f->fork = src && dst && strcmp(src, dst) != 0;
    }
}

void agent_facts_ci(struct agent_facts *f, agent_getenv_fn get, void *ud,
                    struct errbuf *eb)
{
    if (!get)
        get = env_default;
    if (val(get, ud, "GITHUB_ACTIONS"))
        github(f, get, ud, eb);
    else if (val(get, ud, "GITLAB_CI"))
        gitlab(f, get, ud);
}
