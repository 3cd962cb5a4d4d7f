@client-eras @upstream-eras
Feature: Choosing and reshaping each server's tools, prompts and resources
  The operator decides per server what clients get: `tools.allow` and `tools.deny` (glob patterns over the server's
  own tool names; deny wins), `tools.rename`, `tools.describe` and `tools.annotations` (by the server's own name),
  `prompts.allow` and `resources.allow`. What is left out is not listed, and calling or reading it answers exactly
  as a name that never existed does.

  Background:
    Given an upstream "github" over Streamable HTTP with tools "issues_list, issues_create, repo_delete, echo"
    And the upstream "github" has a prompt "review"
    And the upstream "github" has a prompt "internal_notes"
    And the upstream "github" has a resource "file:///docs/readme.md" with text "hello"
    And the upstream "github" has a resource "file:///secret/keys.txt" with text "hidden"

  Scenario: Only the allowed tools are offered, and a denied one is left out even if allowed
    Given the upstream "github" offers only the tools "issues_*, repo_*, echo" but not "repo_delete"
    And switchboard is running
    And a client is connected
    Then the client sees exactly the tools "github_issues_list, github_issues_create, github_echo"

  Scenario: A tool that is left out answers exactly like an unknown one
    Given the upstream "github" offers only the tools "issues_*" but not "issues_create"
    And switchboard is running
    And a client is connected
    Then calling "github_issues_create" is refused exactly as calling "github_no_such_tool" is
    And no call reached the upstream "github"

  Scenario: A tool can be renamed, described anew and given other annotations
    Given the upstream "github" renames the tool "issues_list" to "list_issues"
    And the upstream "github" describes the tool "issues_list" as "Lists the open issues of the team's repositories"
    And the upstream "github" marks the tool "repo_delete" as destructive and the tool "issues_list" as read-only
    And switchboard is running
    And a client is connected
    Then the client sees the tool "github_list_issues"
    And the client does not see the tool "github_issues_list"
    And the tool "github_list_issues" is described as "Lists the open issues of the team's repositories"
    And the tool "github_list_issues" is marked read-only
    And the tool "github_repo_delete" is marked destructive
    When the client calls "github_list_issues" with state "open"
    Then the result is "{\"state\":\"open\"}"
    And the upstream "github" received a call of "issues_list"

  Scenario: Only the allowed prompts and resources are offered, and the others cannot be read
    Given the upstream "github" offers only the prompts "review" and the resources "file:///docs/**"
    And switchboard is running
    And a client is connected
    Then the client sees exactly the prompts "github_review"
    And the client sees 1 upstream resources
    When the client reads the resource "github+file:///docs/readme.md"
    Then the resource text is "hello"
    And reading "github+file:///secret/keys.txt" is refused exactly as reading "github+file:///no/such/thing.txt" is

  Scenario: A configuration with a filter key it does not know is refused at start
    Given the upstream "github" has the tool setting "hide" set to "repo_delete"
    Then switchboard refuses to start, naming "mcpServers.github.tools" and "hide"
