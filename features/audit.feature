@client-eras
Feature: The audit trail
  Every upstream sign-in, sign-out, refresh failure and permission denial is one structured audit event, written
  apart from the log (to `audit.file`, or to stdout), with the user, the action, the resource type and id, the
  outcome, the reason and the time. No event ever holds a token, code, verifier or secret.

  Background:
    Given an authorization server "idp"
    And an authorization server "corp"
    And a protected server "jira" behind "corp"

  Scenario: A sign-in and a sign-out, each recorded with the user who made it
    Given switchboard is protected by "idp"
    And switchboard is running
    And client "alice" is connected as "alice"
    When client "alice" signs in to "jira" as "alice"
    And client "alice" calls "switchboard_sign_out" with server "jira"
    Then the audit trail holds, in this order:
      | user  | action   | resource type | resource | outcome |
      | alice | sign_in  | server        | jira     | success |
      | alice | sign_out | server        | jira     | success |
    And every audit event names the authorization server "corp"
    And the audit trail holds none of the tokens, codes and verifiers exchanged with "corp", nor the users' own tokens

  Scenario: A sign-in the user refused, and a refresh the authorization server refused
    Given switchboard is protected by "idp"
    And switchboard is running
    And client "alice" is connected as "alice"
    When client "alice" starts signing in to "jira", and the user refuses in the browser
    And client "alice" signs in to "jira" as "alice"
    And "corp" revokes every sign-in
    And client "alice" calls "jira_whoami"
    Then the audit trail holds, in this order:
      | user  | action        | resource type | resource | outcome | reason                   |
      | alice | sign_in       | server        | jira     | failure | access_denied            |
      | alice | sign_in       | server        | jira     | success |                          |
      | alice | token.refresh | server        | jira     | failure | invalid_grant            |
    And the audit trail holds none of the tokens, codes and verifiers exchanged with "corp", nor the users' own tokens

  Scenario: A token without the scope switchboard requires is a permission denial
    Given switchboard is protected by "idp", requiring the scope "mcp"
    And switchboard is running
    When an initialize request arrives with a token of "mallory" without the scope "mcp"
    Then it is refused for want of the scope "mcp"
    And the audit trail holds, in this order:
      | user    | action | resource type | resource | outcome | reason                       |
      | mallory | access | endpoint      | /mcp     | denied  | the token lacks the scope mcp |

  @legacy-only
  Scenario: Another user's use of a session is a permission denial
    Given switchboard is protected by "idp"
    And switchboard is running
    And client "alice" is connected as "alice"
    When a request in client "alice"'s session arrives with the token of "mallory"
    Then the audit trail holds, in this order:
      | user    | action | resource type | resource            | outcome | reason                            |
      | mallory | access | session       | the session's id    | denied  | the session belongs to another user |

  Scenario: Servers created, changed and deleted at run time, each recorded with the operator
    Given an upstream "weather" over Streamable HTTP with tools "echo"
    And an upstream "news" over Streamable HTTP with tools "whoami"
    And switchboard is running from a configuration file with the upstreams "weather"
    When the operator adds the server "news" with the header "Authorization" set to "Bearer news-api-key"
    And the operator reads the server "news"
    And the operator changes the server "news" to a timeout of 5000 ms, sending back what it read
    And the operator deletes the server "news"
    Then the audit trail holds, in this order:
      | user  | action        | resource type | resource | outcome |
      | local | server.create | server        | news     | success |
      | local | server.update | server        | news     | success |
      | local | server.delete | server        | news     | success |
    And no audit event holds "news-api-key"

  Scenario: Behind the front door, each change and each refusal is recorded with the user's name
    Given an upstream "weather" over Streamable HTTP with tools "echo"
    And an upstream "news" over Streamable HTTP with tools "whoami"
    And switchboard is protected by "idp"
    And switchboard is running from a configuration file with the upstreams "weather"
    When "olga" with the scope "servers.create" adds the server "news"
    And "olga" with the scope "servers.read" deletes the server "news"
    And "olga" with the scope "servers.delete" deletes the server "news"
    Then the audit trail holds, in this order:
      | user | action        | resource type | resource | outcome | reason                                   |
      | olga | server.create | server        | news     | success |                                          |
      | olga | server.delete | server        | news     | denied  | the token lacks the scope servers.delete |
      | olga | server.delete | server        | news     | success |                                          |

  Scenario: A reload of the configuration file, and one refused
    Given an upstream "weather" over Streamable HTTP with tools "echo"
    And an upstream "news" over Streamable HTTP with tools "whoami"
    And switchboard is running from a configuration file with the upstreams "weather"
    When the configuration file is saved with the upstreams "weather, news"
    And switchboard is told to reload its configuration
    Then the audit trail records a reload of the configuration file that added "news"
    When the configuration file is saved with a mistake in it
    Then the audit trail records a refused reload of the configuration file, naming "timeoutMs"
