//! The world rendered in the shapes of GitHub's OpenAPI description (`@octokit/openapi`):
//! every required key present, nullable keys explicit, URLs absolute and pointing back at this
//! server so a client may follow them.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::world::{
    CheckRun, Commit, Deployment, DeploymentStatus, Environment, Gate, Pull, PullState, Review,
    Reviewer, Run, RunJob, RunStatus, State, Team, User, UserKind, Workflow,
};

/// Where this server is reachable, as the client addressed it.
pub struct Ctx {
    pub base: String,
}

impl Ctx {
    pub fn repo_api(&self, s: &State) -> String {
        format!("{}/repos/{}/{}", self.base, s.owner, s.repo)
    }

    pub fn repo_html(&self, s: &State) -> String {
        format!("{}/{}/{}", self.base, s.owner, s.repo)
    }
}

pub fn ts(t: Timestamp) -> String {
    // GitHub sends whole seconds with a `Z` suffix.
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn opt_ts(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(ts(t)))
}

fn node_id(prefix: &str, id: u64) -> String {
    format!("{prefix}_kwDO{id:08X}")
}

pub fn simple_user(ctx: &Ctx, u: &User) -> Value {
    // Bot logins end in `[bot]`, which is not allowed unescaped in a URL.
    let escaped = u.login.replace('[', "%5B").replace(']', "%5D");
    let api = format!("{}/users/{escaped}", ctx.base);
    let html = match u.login.strip_suffix("[bot]") {
        Some(app) if u.kind == UserKind::Bot => format!("{}/apps/{app}", ctx.base),
        _ => format!("{}/{}", ctx.base, u.login),
    };
    json!({
        "login": u.login,
        "id": u.id,
        "node_id": node_id(if u.kind == UserKind::Organization { "O" } else { "U" }, u.id),
        "avatar_url": format!("{}/avatars/u/{}?v=4", ctx.base, u.id),
        "gravatar_id": "",
        "url": api,
        "html_url": html,
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": u.kind.as_str(),
        "user_view_type": "public",
        "site_admin": false,
    })
}

/// A user by login; unknown logins (which the world never stores) render as `null`.
pub fn user_ref(ctx: &Ctx, s: &State, login: &str) -> Value {
    s.user(login).map_or(Value::Null, |u| simple_user(ctx, u))
}

/// `GET /user`: the caller's own, private view of their account.
pub fn private_user(ctx: &Ctx, u: &User) -> Value {
    let mut v = simple_user(ctx, u);
    let extra = json!({
        "user_view_type": "private",
        "name": u.name,
        "company": null,
        "blog": "",
        "location": null,
        "email": null,
        "hireable": null,
        "bio": null,
        "twitter_username": null,
        "notification_email": null,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": ts(u.created_at),
        "updated_at": ts(u.created_at),
        "private_gists": 0,
        "total_private_repos": 0,
        "owned_private_repos": 0,
        "disk_usage": 0,
        "collaborators": 0,
        "two_factor_authentication": true,
        "plan": {"name": "free", "space": 976_562_499, "collaborators": 0, "private_repos": 10_000},
    });
    merge(&mut v, extra);
    v
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        a.extend(b);
    }
}

/// The URL templates every repository representation carries.
fn repo_urls(ctx: &Ctx, s: &State) -> Value {
    let api = ctx.repo_api(s);
    let html = ctx.repo_html(s);
    let owner = s
        .user(&s.owner)
        .map_or(Value::Null, |u| simple_user(ctx, u));
    let mut v = json!({
        "id": s.repo_id,
        "node_id": node_id("R", s.repo_id),
        "name": s.repo,
        "full_name": format!("{}/{}", s.owner, s.repo),
        "owner": owner,
        "private": false,
        "html_url": html,
        "description": "tbyte: the rate-card API, deployed by Sluice",
        "fork": false,
        "url": api,
        "archive_url": format!("{api}/{{archive_format}}{{/ref}}"),
        "assignees_url": format!("{api}/assignees{{/user}}"),
        "blobs_url": format!("{api}/git/blobs{{/sha}}"),
        "branches_url": format!("{api}/branches{{/branch}}"),
        "collaborators_url": format!("{api}/collaborators{{/collaborator}}"),
        "comments_url": format!("{api}/comments{{/number}}"),
        "commits_url": format!("{api}/commits{{/sha}}"),
        "compare_url": format!("{api}/compare/{{base}}...{{head}}"),
        "contents_url": format!("{api}/contents/{{+path}}"),
        "contributors_url": format!("{api}/contributors"),
        "deployments_url": format!("{api}/deployments"),
        "downloads_url": format!("{api}/downloads"),
        "events_url": format!("{api}/events"),
        "forks_url": format!("{api}/forks"),
    });
    // Split in two: one `json!` this large exceeds the macro recursion limit.
    merge(
        &mut v,
        json!({
        "git_commits_url": format!("{api}/git/commits{{/sha}}"),
        "git_refs_url": format!("{api}/git/refs{{/sha}}"),
        "git_tags_url": format!("{api}/git/tags{{/sha}}"),
        "issue_comment_url": format!("{api}/issues/comments{{/number}}"),
        "issue_events_url": format!("{api}/issues/events{{/number}}"),
        "issues_url": format!("{api}/issues{{/number}}"),
        "keys_url": format!("{api}/keys{{/key_id}}"),
        "labels_url": format!("{api}/labels{{/name}}"),
        "languages_url": format!("{api}/languages"),
        "merges_url": format!("{api}/merges"),
        "milestones_url": format!("{api}/milestones{{/number}}"),
        "notifications_url": format!("{api}/notifications{{?since,all,participating}}"),
        "pulls_url": format!("{api}/pulls{{/number}}"),
        "releases_url": format!("{api}/releases{{/id}}"),
        "stargazers_url": format!("{api}/stargazers"),
        "statuses_url": format!("{api}/statuses/{{sha}}"),
        "subscribers_url": format!("{api}/subscribers"),
        "subscription_url": format!("{api}/subscription"),
        "tags_url": format!("{api}/tags"),
        "teams_url": format!("{api}/teams"),
        "trees_url": format!("{api}/git/trees{{/sha}}"),
        "hooks_url": format!("{api}/hooks"),
        }),
    );
    v
}

/// The `repository` schema (embedded in pull requests).
pub fn repository(ctx: &Ctx, s: &State) -> Value {
    let mut v = repo_urls(ctx, s);
    let html = ctx.repo_html(s);
    let open_issues = s
        .pulls
        .values()
        .filter(|p| p.state == PullState::Open)
        .count();
    let pushed_at = s
        .commits
        .values()
        .map(|c| c.at)
        .max()
        .unwrap_or(s.created_at);
    merge(
        &mut v,
        json!({
            "git_url": format!("{}.git", html.replace("http://", "git://")),
            "ssh_url": format!("git@sim.github.local:{}/{}.git", s.owner, s.repo),
            "clone_url": format!("{html}.git"),
            "svn_url": html,
            "mirror_url": null,
            "homepage": null,
            "language": "Rust",
            "forks_count": 0,
            "forks": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "size": 128,
            "default_branch": s.default_branch,
            "open_issues_count": open_issues,
            "open_issues": open_issues,
            "is_template": false,
            "topics": [],
            "has_issues": true,
            "has_projects": false,
            "has_wiki": false,
            "has_pages": false,
            "has_downloads": true,
            "has_discussions": false,
            "archived": false,
            "disabled": false,
            "visibility": "public",
            "pushed_at": ts(pushed_at),
            "created_at": ts(s.created_at),
            "updated_at": ts(pushed_at),
            "allow_forking": true,
            "web_commit_signoff_required": false,
            "license": {
                "key": "apache-2.0",
                "name": "Apache License 2.0",
                "url": format!("{}/licenses/apache-2.0", ctx.base),
                "spdx_id": "Apache-2.0",
                "node_id": "MDc6TGljZW5zZTI=",
            },
        }),
    );
    v
}

/// `GET /repos/{owner}/{repo}` (`full-repository`), with the caller's permissions.
pub fn full_repository(ctx: &Ctx, s: &State, caller: Option<&User>) -> Value {
    let mut v = repository(ctx, s);
    let write = caller.is_some_and(User::can_write);
    let org = s
        .user(&s.owner)
        .map_or(Value::Null, |u| simple_user(ctx, u));
    let mut extra = json!({
        "subscribers_count": s.users.values().filter(|u| u.kind == UserKind::User).count(),
        "network_count": 0,
        "organization": org,
        "temp_clone_token": null,
    });
    if caller.is_some() {
        merge(
            &mut extra,
            json!({"permissions": {"admin": false, "maintain": false, "push": write, "triage": write, "pull": true}}),
        );
    }
    merge(&mut v, extra);
    v
}

/// `minimal-repository` (embedded in workflow runs).
pub fn minimal_repository(ctx: &Ctx, s: &State) -> Value {
    repo_urls(ctx, s)
}

fn git_user(s: &State, login: &str, at: Timestamp) -> Value {
    let name = s.user(login).map_or(login, |u| u.name.as_str());
    json!({"name": name, "email": format!("{login}@users.noreply.github.com"), "date": ts(at)})
}

pub fn commit(ctx: &Ctx, s: &State, c: &Commit) -> Value {
    let api = ctx.repo_api(s);
    let author = user_ref(ctx, s, &c.author);
    json!({
        "url": format!("{api}/commits/{}", c.sha),
        "sha": c.sha,
        "node_id": format!("C_kwDO{}", &c.sha[..12.min(c.sha.len())]),
        "html_url": format!("{}/commit/{}", ctx.repo_html(s), c.sha),
        "comments_url": format!("{api}/commits/{}/comments", c.sha),
        "commit": {
            "url": format!("{api}/git/commits/{}", c.sha),
            "author": git_user(s, &c.author, c.at),
            "committer": git_user(s, &c.author, c.at),
            "message": c.message,
            "comment_count": 0,
            "tree": {"sha": c.tree, "url": format!("{api}/git/trees/{}", c.tree)},
            "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null},
        },
        "author": author.clone(),
        "committer": author,
        "parents": c.parents.iter().map(|p| json!({
            "sha": p,
            "url": format!("{api}/commits/{p}"),
            "html_url": format!("{}/commit/{p}", ctx.repo_html(s)),
        })).collect::<Vec<_>>(),
    })
}

/// `GET /commits/{ref}` adds stats and files; the simulated repository has no file contents.
pub fn commit_detail(ctx: &Ctx, s: &State, c: &Commit) -> Value {
    let mut v = commit(ctx, s, c);
    merge(
        &mut v,
        json!({"stats": {"total": 0, "additions": 0, "deletions": 0}, "files": []}),
    );
    v
}

fn link(href: String) -> Value {
    json!({ "href": href })
}

fn branch_end(ctx: &Ctx, s: &State, reference: &str, sha: &str, owner_login: &str) -> Value {
    json!({
        "label": format!("{}:{reference}", s.owner),
        "ref": reference,
        "sha": sha,
        "user": user_ref(ctx, s, owner_login),
        "repo": repository(ctx, s),
    })
}

pub fn pull_simple(ctx: &Ctx, s: &State, p: &Pull) -> Value {
    let api = ctx.repo_api(s);
    let html = format!("{}/pull/{}", ctx.repo_html(s), p.number);
    let issue = format!("{api}/issues/{}", p.number);
    let this = format!("{api}/pulls/{}", p.number);
    let statuses = format!("{api}/statuses/{}", p.head_sha);
    let base_sha = if p.state == PullState::Open {
        s.branches
            .get(&p.base_ref)
            .cloned()
            .unwrap_or_else(|| p.base_sha.clone())
    } else {
        p.base_sha.clone()
    };
    let owner = s.owner.clone();
    let links = json!({
        "self": link(this.clone()),
        "html": link(html.clone()),
        "issue": link(issue.clone()),
        "comments": link(format!("{issue}/comments")),
        "review_comments": link(format!("{this}/comments")),
        "review_comment": link(format!("{api}/pulls/comments{{/number}}")),
        "commits": link(format!("{this}/commits")),
        "statuses": link(statuses.clone()),
    });
    json!({
        "url": this,
        "id": p.id,
        "node_id": node_id("PR", p.id),
        "html_url": html,
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "issue_url": issue,
        "commits_url": format!("{this}/commits"),
        "review_comments_url": format!("{this}/comments"),
        "review_comment_url": format!("{api}/pulls/comments{{/number}}"),
        "comments_url": format!("{issue}/comments"),
        "statuses_url": statuses,
        "number": p.number,
        "state": if p.state == PullState::Open { "open" } else { "closed" },
        "locked": false,
        "title": p.title,
        "user": user_ref(ctx, s, &p.author),
        "body": p.body,
        "labels": [],
        "milestone": null,
        "active_lock_reason": null,
        "created_at": ts(p.created_at),
        "updated_at": ts(p.updated_at),
        "closed_at": opt_ts(p.closed_at),
        "merged_at": opt_ts(p.merged_at),
        "merge_commit_sha": p.merge_commit_sha,
        "assignee": null,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": branch_end(ctx, s, &p.head_ref, &p.head_sha, &owner),
        "base": branch_end(ctx, s, &p.base_ref, &base_sha, &owner),
        "_links": links,
        "author_association": author_association(s, &p.author),
        "auto_merge": null,
        "draft": false,
    })
}

fn author_association(s: &State, login: &str) -> &'static str {
    if s.user(login).is_some_and(|u| u.role.is_some()) {
        "MEMBER"
    } else {
        "NONE"
    }
}

pub fn pull(ctx: &Ctx, s: &State, p: &Pull) -> Value {
    let mut v = pull_simple(ctx, s, p);
    let base = s.branches.get(&p.base_ref).cloned().unwrap_or_default();
    let commits = if p.state == PullState::Open {
        let of_base = s.ancestors(&base);
        s.ancestors(&p.head_sha).difference(&of_base).count()
    } else {
        let of_base = s.ancestors(&p.base_sha);
        s.ancestors(&p.head_sha).difference(&of_base).count()
    };
    let merged = p.merged_at.is_some();
    merge(
        &mut v,
        json!({
            "merged": merged,
            "mergeable": if p.state == PullState::Open { json!(true) } else { Value::Null },
            "rebaseable": if p.state == PullState::Open { json!(true) } else { Value::Null },
            "mergeable_state": if p.state == PullState::Open { "clean" } else { "unknown" },
            "merged_by": p.merged_by.as_deref().map_or(Value::Null, |m| user_ref(ctx, s, m)),
            "comments": 0,
            "review_comments": 0,
            "maintainer_can_modify": false,
            "commits": commits,
            "additions": 0,
            "deletions": 0,
            "changed_files": 0,
        }),
    );
    v
}

pub fn check_run(ctx: &Ctx, s: &State, c: &CheckRun) -> Value {
    let api = ctx.repo_api(s);
    let pulls: Vec<Value> = s
        .pulls
        .values()
        .filter(|p| p.state == PullState::Open && p.head_sha == c.head_sha)
        .map(|p| pull_minimal(ctx, s, p))
        .collect();
    let bot = s.user(super::world::ACTIONS_BOT);
    json!({
        "id": c.id,
        "head_sha": c.head_sha,
        "node_id": node_id("CR", c.id),
        "external_id": "",
        "url": format!("{api}/check-runs/{}", c.id),
        "html_url": format!("{}/runs/{}", ctx.repo_html(s), c.id),
        "details_url": format!("{}/runs/{}", ctx.repo_html(s), c.id),
        "status": c.status.as_str(),
        "conclusion": c.conclusion.map(|x| x.as_str()),
        "started_at": ts(c.started_at),
        "completed_at": opt_ts(c.completed_at),
        "output": {
            "title": null,
            "summary": null,
            "text": null,
            "annotations_count": 0,
            "annotations_url": format!("{api}/check-runs/{}/annotations", c.id),
        },
        "name": c.name,
        "check_suite": {"id": c.suite_id},
        "app": github_actions_app(ctx, bot),
        "pull_requests": pulls,
    })
}

fn github_actions_app(ctx: &Ctx, bot: Option<&User>) -> Value {
    let Some(bot) = bot else { return Value::Null };
    json!({
        "id": 15368,
        "slug": "github-actions",
        "node_id": "MDM6QXBwMTUzNjg=",
        "client_id": "Iv1.sim-actions",
        "owner": simple_user(ctx, bot),
        "name": "GitHub Actions",
        "description": "Automate your workflow from idea to production",
        "external_url": "https://help.github.com/en/actions",
        "html_url": format!("{}/apps/github-actions", ctx.base),
        "created_at": "2018-07-30T09:30:17Z",
        "updated_at": "2024-04-10T20:33:16Z",
        "permissions": {"actions": "write", "checks": "write", "deployments": "write", "contents": "write"},
        "events": [],
    })
}

fn pull_minimal(ctx: &Ctx, s: &State, p: &Pull) -> Value {
    let api = ctx.repo_api(s);
    let repo = json!({"id": s.repo_id, "url": api, "name": s.repo});
    let base_sha = s
        .branches
        .get(&p.base_ref)
        .cloned()
        .unwrap_or_else(|| p.base_sha.clone());
    json!({
        "id": p.id,
        "number": p.number,
        "url": format!("{api}/pulls/{}", p.number),
        "head": {"ref": p.head_ref, "sha": p.head_sha, "repo": repo.clone()},
        "base": {"ref": p.base_ref, "sha": base_sha, "repo": repo},
    })
}

pub fn workflow(ctx: &Ctx, s: &State, w: &Workflow) -> Value {
    let api = ctx.repo_api(s);
    json!({
        "id": w.id,
        "node_id": node_id("W", w.id),
        "name": w.name,
        "path": w.path,
        "state": "active",
        "created_at": ts(w.created_at),
        "updated_at": ts(w.created_at),
        "url": format!("{api}/actions/workflows/{}", w.id),
        "html_url": format!("{}/blob/{}/{}", ctx.repo_html(s), s.default_branch, w.path),
        "badge_url": format!("{}/workflows/{}/badge.svg", ctx.repo_html(s), w.name),
    })
}

/// A run's page on the web, which deployment statuses written by its jobs link to.
fn run_html(ctx: &Ctx, s: &State, run_id: u64) -> String {
    format!("{}/actions/runs/{run_id}", ctx.repo_html(s))
}

/// One job of a run, as `GET /actions/runs/{run_id}/jobs` lists it.
pub fn job(ctx: &Ctx, s: &State, r: &Run, j: &RunJob) -> Value {
    let api = ctx.repo_api(s);
    let waiting = r
        .gates
        .iter()
        .any(|g| g.environment == j.environment && g.approved_by.is_none());
    let (status, conclusion) = match r.status {
        RunStatus::Completed => ("completed", r.conclusion.map(|c| c.as_str())),
        _ if waiting => ("waiting", None),
        _ => ("in_progress", None),
    };
    let workflow_name = s
        .workflows
        .iter()
        .find(|w| w.id == r.workflow_id)
        .map(|w| w.name.clone());
    json!({
        "id": j.id,
        "run_id": r.id,
        "run_url": format!("{api}/actions/runs/{}", r.id),
        "run_attempt": 1,
        "node_id": node_id("CR", j.id),
        "head_sha": r.head_sha,
        "head_branch": r.head_branch,
        "url": format!("{api}/actions/jobs/{}", j.id),
        "html_url": format!("{}/job/{}", run_html(ctx, s, r.id), j.id),
        "status": status,
        "conclusion": conclusion,
        "created_at": ts(j.started_at),
        "started_at": ts(j.started_at),
        "completed_at": if status == "completed" { json!(ts(r.updated_at)) } else { Value::Null },
        "name": j.name,
        "steps": [],
        "check_run_url": format!("{api}/check-runs/{}", j.id),
        "labels": ["ubuntu-latest"],
        "runner_id": null,
        "runner_name": null,
        "runner_group_id": null,
        "runner_group_name": null,
        "workflow_name": workflow_name,
    })
}

pub fn run(ctx: &Ctx, s: &State, r: &Run) -> Value {
    let api = ctx.repo_api(s);
    let this = format!("{api}/actions/runs/{}", r.id);
    let path = s
        .workflows
        .iter()
        .find(|w| w.id == r.workflow_id)
        .map(|w| (w.name.clone(), w.path.clone()))
        .unwrap_or_default();
    let head_commit = s.commits.get(&r.head_sha).map_or(Value::Null, |c| {
        let who = git_user(s, &c.author, c.at);
        json!({
            "id": c.sha,
            "tree_id": c.tree,
            "message": c.message,
            "timestamp": ts(c.at),
            "author": {"name": who["name"], "email": who["email"]},
            "committer": {"name": who["name"], "email": who["email"]},
        })
    });
    let pulls: Vec<Value> = s
        .pulls
        .values()
        .filter(|p| p.state == PullState::Open && p.head_sha == r.head_sha)
        .map(|p| pull_minimal(ctx, s, p))
        .collect();
    let actor = user_ref(ctx, s, &r.actor);
    json!({
        "id": r.id,
        "name": path.0,
        "node_id": node_id("WFR", r.id),
        "check_suite_id": r.id + 1,
        "check_suite_node_id": node_id("CS", r.id + 1),
        "head_branch": r.head_branch,
        "head_sha": r.head_sha,
        "path": path.1,
        "run_number": r.run_number,
        "run_attempt": 1,
        "event": r.event,
        "display_title": r.display_title,
        "status": r.status.as_str(),
        "conclusion": r.conclusion.map(|c| c.as_str()),
        "workflow_id": r.workflow_id,
        "url": this,
        "html_url": run_html(ctx, s, r.id),
        "pull_requests": pulls,
        "created_at": ts(r.created_at),
        "updated_at": ts(r.updated_at),
        "run_started_at": ts(r.created_at),
        "actor": actor.clone(),
        "triggering_actor": actor,
        "jobs_url": format!("{this}/jobs"),
        "logs_url": format!("{this}/logs"),
        "check_suite_url": format!("{api}/check-suites/{}", r.id + 1),
        "artifacts_url": format!("{this}/artifacts"),
        "cancel_url": format!("{this}/cancel"),
        "rerun_url": format!("{this}/rerun"),
        "previous_attempt_url": null,
        "workflow_url": format!("{api}/actions/workflows/{}", r.workflow_id),
        "head_commit": head_commit,
        "repository": minimal_repository(ctx, s),
        "head_repository": minimal_repository(ctx, s),
        "referenced_workflows": [],
    })
}

fn team(ctx: &Ctx, s: &State, t: &Team) -> Value {
    let api = format!("{}/orgs/{}/teams/{}", ctx.base, s.owner, t.slug);
    json!({
        "id": t.id,
        "node_id": node_id("T", t.id),
        "name": t.name,
        "slug": t.slug,
        "description": null,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "url": api,
        "html_url": format!("{}/orgs/{}/teams/{}", ctx.base, s.owner, t.slug),
        "members_url": format!("{api}/members{{/member}}"),
        "repositories_url": format!("{api}/repos"),
        "type": "organization",
        "organization_id": s.user(&s.owner).map_or(0, |u| u.id),
        "parent": null,
    })
}

fn reviewers(ctx: &Ctx, s: &State, env: &Environment) -> Vec<Value> {
    env.reviewers
        .iter()
        .filter_map(|r| match r {
            Reviewer::User(login) => s
                .user(login)
                .map(|u| json!({"type": "User", "reviewer": simple_user(ctx, u)})),
            Reviewer::Team(slug) => s
                .teams
                .iter()
                .find(|t| &t.slug == slug)
                .map(|t| json!({"type": "Team", "reviewer": team(ctx, s, t)})),
        })
        .collect()
}

fn environment_ref(ctx: &Ctx, s: &State, env: &Environment) -> Value {
    json!({
        "id": env.id,
        "node_id": node_id("EN", env.id),
        "name": env.name,
        "url": format!("{}/environments/{}", ctx.repo_api(s), env.name),
        "html_url": format!("{}/deployments/activity_log?environments_filter={}", ctx.repo_html(s), env.name),
    })
}

/// An environment as a run's review history names it: the reference and its times.
fn environment_summary(ctx: &Ctx, s: &State, env: &Environment) -> Value {
    let mut v = environment_ref(ctx, s, env);
    merge(
        &mut v,
        json!({"created_at": ts(env.created_at), "updated_at": ts(env.updated_at)}),
    );
    v
}

/// One entry of `GET …/actions/runs/{run_id}/approvals`.
pub fn approval(ctx: &Ctx, s: &State, review: &Review) -> Value {
    let environments: Vec<Value> = review
        .environments
        .iter()
        .filter_map(|name| s.environments.get(name))
        .map(|env| environment_summary(ctx, s, env))
        .collect();
    json!({
        "state": review.state.as_str(),
        "comment": review.comment,
        "environments": environments,
        "user": user_ref(ctx, s, &review.reviewer),
    })
}

pub fn environment(ctx: &Ctx, s: &State, env: &Environment) -> Value {
    let mut rules = Vec::new();
    if env.wait_timer > 0 {
        rules.push(json!({
            "id": env.wait_rule_id,
            "node_id": node_id("GA", env.wait_rule_id),
            "type": "wait_timer",
            "wait_timer": env.wait_timer,
        }));
    }
    if !env.reviewers.is_empty() {
        rules.push(json!({
            "id": env.reviewers_rule_id,
            "node_id": node_id("GA", env.reviewers_rule_id),
            "prevent_self_review": env.prevent_self_review,
            "type": "required_reviewers",
            "reviewers": reviewers(ctx, s, env),
        }));
    }
    let mut v = environment_ref(ctx, s, env);
    merge(
        &mut v,
        json!({
            "created_at": ts(env.created_at),
            "updated_at": ts(env.updated_at),
            "can_admins_bypass": true,
            "protection_rules": rules,
            "deployment_branch_policy": null,
        }),
    );
    v
}

pub fn pending_deployment(
    ctx: &Ctx,
    s: &State,
    run: &Run,
    gate: &Gate,
    env: &Environment,
    caller: Option<&str>,
) -> Value {
    json!({
        "environment": environment_ref(ctx, s, env),
        "wait_timer": env.wait_timer,
        "wait_timer_started_at": if env.wait_timer > 0 { Value::String(ts(gate.started_at)) } else { Value::Null },
        "current_user_can_approve": s.can_approve(run, env, caller),
        "reviewers": reviewers(ctx, s, env),
    })
}

pub fn deployment(ctx: &Ctx, s: &State, d: &Deployment) -> Value {
    let api = ctx.repo_api(s);
    json!({
        "url": format!("{api}/deployments/{}", d.id),
        "id": d.id,
        "node_id": node_id("DE", d.id),
        "sha": d.sha,
        "ref": d.git_ref,
        "task": d.task,
        "payload": d.payload,
        "original_environment": d.original_environment,
        "environment": d.environment,
        "description": d.description,
        "creator": user_ref(ctx, s, &d.creator),
        "created_at": ts(d.created_at),
        "updated_at": ts(d.updated_at),
        "statuses_url": format!("{api}/deployments/{}/statuses", d.id),
        "repository_url": api,
        "transient_environment": d.transient_environment,
        "production_environment": d.production_environment,
    })
}

pub fn deployment_status(ctx: &Ctx, s: &State, d: &Deployment, st: &DeploymentStatus) -> Value {
    let api = ctx.repo_api(s);
    // GitHub sends "" for a URL nobody gave; a job's status without one links to its run.
    let link = |given: &str| match st.run_id {
        Some(run_id) if given.is_empty() => run_html(ctx, s, run_id),
        _ => given.to_owned(),
    };
    json!({
        "url": format!("{api}/deployments/{}/statuses/{}", d.id, st.id),
        "id": st.id,
        "node_id": node_id("DES", st.id),
        "state": st.state.as_str(),
        "creator": user_ref(ctx, s, &st.creator),
        "description": st.description,
        "environment": st.environment,
        "target_url": link(&st.target_url),
        "created_at": ts(st.created_at),
        "updated_at": ts(st.created_at),
        "deployment_url": format!("{api}/deployments/{}", d.id),
        "repository_url": api,
        "environment_url": st.environment_url,
        "log_url": link(&st.log_url),
    })
}

/// Percent-encodes what may not stand in a URL path or query as it is (`/` stays).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET /contents/{path}` of a file, as read at `reference` (the ref the client asked for).
pub fn content_file(ctx: &Ctx, s: &State, path: &str, reference: &str, text: &str) -> Value {
    let api = ctx.repo_api(s);
    let html = ctx.repo_html(s);
    let sha = super::blob::blob_sha(text.as_bytes());
    let (path_url, ref_url) = (escape(path), escape(reference));
    let this = format!("{api}/contents/{path_url}?ref={ref_url}");
    let git = format!("{api}/git/blobs/{sha}");
    let page = format!("{html}/blob/{ref_url}/{path_url}");
    json!({
        "type": "file",
        "encoding": "base64",
        "size": text.len(),
        "name": path.rsplit('/').next().unwrap_or(path),
        "path": path,
        "content": super::blob::wrapped_base64(text.as_bytes()),
        "sha": sha,
        "url": this,
        "git_url": git,
        "html_url": page,
        "download_url": format!("{html}/raw/{ref_url}/{path_url}"),
        "_links": {"self": this, "git": git, "html": page},
    })
}

pub fn rate_limit(limit: u64, remaining: u64, reset: u64, used: u64) -> Value {
    let core = json!({"limit": limit, "remaining": remaining, "reset": reset, "used": used, "resource": "core"});
    // Only `core` is spent by this simulator; the other resources are reported full.
    let fresh = |name: &str, limit: u64| json!({"limit": limit, "remaining": limit, "reset": reset, "used": 0, "resource": name});
    json!({
        "resources": {
            "core": core.clone(),
            "search": fresh("search", 30),
            "graphql": fresh("graphql", limit),
            "integration_manifest": fresh("integration_manifest", 5000),
            "code_search": fresh("code_search", 10),
        },
        "rate": core,
    })
}
