@client-eras
Feature: Sign in once for everything (cross-app access)
  A person signed in at switchboard's front door should not have to sign in again to every server their company
  runs. When a server's authorization server trusts the same identity provider as the front door, switchboard asks
  the identity provider for an identity assertion grant (an ID-JAG) for that authorization server, and trades it there
  for the person's own token for that server: no browser opens (the MCP enterprise-managed authorization extension).
  When that does not work, the server waits for an ordinary sign-in, and says why.

  Background:
    Given an authorization server "idp"
    And switchboard is protected by "idp"
    And an authorization server "corp" that trusts "idp" for cross-app access
    And a protected server "jira" behind "corp"

  Scenario Outline: A signed-in person reaches a server behind another authorization server without a browser
    Given switchboard uses cross-app access for <which>
    And switchboard is running
    And client "alice" is connected as "alice"
    Then client "alice" sees the tool "jira_whoami"
    When client "alice" calls "jira_whoami"
    Then client "alice" gets a result mentioning "alice"
    And "idp" granted "alice" access to "jira" at "corp", asked with the token they presented to switchboard
    And "corp" was asked for 0 sign-ins
    And "jira" received a token from "corp" meant for "jira"
    And no upstream ever received a token a client presented to switchboard

    Examples:
      | which                             |
      | the server "jira"                 |
      | the authorization server "corp"   |

  Scenario: Each person gets a token of their own
    Given switchboard uses cross-app access for the server "jira"
    And switchboard is running
    And client "alice" is connected as "alice"
    And client "bob" is connected as "bob"
    When client "alice" calls "jira_whoami"
    Then client "alice" gets a result mentioning "alice"
    When client "bob" calls "jira_whoami"
    Then client "bob" gets a result mentioning "bob"
    And "jira" received tokens of the users "alice, bob" only

  Scenario: When the identity provider refuses, the server waits for a browser sign-in and says why
    Given switchboard uses cross-app access for the server "jira"
    And switchboard is running
    And "idp" refuses the next token exchange
    And client "alice" is connected as "alice"
    Then client "alice" does not see the tool "jira_whoami"
    And the auth status of client "alice" says that "jira" needs a sign-in because "the IdP refused the token exchange"
    And client "alice"'s sign-in tool for "jira" says why: "the IdP refused the token exchange"
    When client "alice" signs in to "jira" as "alice"
    And client "alice" calls "jira_whoami"
    Then client "alice" gets a result mentioning "alice"

  Scenario: An authorization server that does not trust the identity provider gets a browser sign-in instead
    Given an authorization server "other"
    And a protected server "wiki" behind "other"
    And switchboard uses cross-app access for the server "wiki"
    And switchboard is running
    And client "alice" is connected as "alice"
    Then the auth status of client "alice" says that "wiki" needs a sign-in because "refused the ID-JAG"

  Scenario: None of the tokens of cross-app access reaches the log
    Given switchboard uses cross-app access for the server "jira"
    And switchboard is running
    And client "alice" is connected as "alice"
    When client "alice" calls "jira_whoami"
    Then client "alice" gets a result mentioning "alice"
    And switchboard's log holds none of the tokens and secrets of cross-app access
