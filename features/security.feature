Feature: What switchboard never does with credentials and metadata
  switchboard sits between agents and servers that hold people's data, so some things must never happen: the
  credentials a client sends switchboard are not passed on to any server (MCP forbids token passthrough); a token is
  only ever presented to a server of the authorization server that issued it; metadata that would lead a sign-in
  astray is refused with an error that says why, before anything is sent to the authorization server; and no token,
  code, verifier, state or secret is ever written to the log.

  Metadata that points a public server's sign-in at private or link-local addresses (169.254.169.254 and the like)
  is refused too. These scenarios cannot show it: every server here runs on this machine, and a server on loopback
  may use authorization servers on private networks. test/discovery.test.ts covers that rule, with a public upstream
  whose host names resolve only in the test.

  Background:
    Given an authorization server "corp"

  Scenario: The client's own credentials never reach a server
    Given a protected server "jira" behind "corp"
    And an upstream "weather" over Streamable HTTP with tools "headers"
    And switchboard is running
    And a client that sends its own credentials "client-own-token-8f2a61c4" is connected
    When the client calls "weather_headers"
    Then "weather" was not given the client's credentials
    When the client signs in to "jira"
    Then the client eventually sees the tool "jira_whoami"
    When the client calls "jira_whoami"
    Then "jira" was only ever presented tokens from "corp"

  Scenario: A token is only ever presented to servers of the authorization server that issued it
    Given an authorization server "partner"
    And a protected server "jira" behind "corp"
    And a protected server "crm" behind "partner" that is not running yet
    And switchboard is running
    And a client is connected
    When the client signs in to "jira"
    Then the client eventually sees the tool "jira_whoami"
    When the protected server "crm" starts
    Then the client eventually sees the tool "authenticate_crm"
    When the client signs in to "crm"
    Then the client eventually sees the tool "crm_whoami"
    When the client calls "jira_whoami"
    And the client calls "crm_whoami"
    Then "jira" was only ever presented tokens from "corp"
    And "crm" was only ever presented tokens from "partner"

  Scenario: A server whose metadata describes another server is refused
    Given a protected server "jira" behind "corp" whose metadata describes the server at "https://evil.example.com/mcp"
    And switchboard is running
    And a client is connected
    When the client asks to sign in to "jira"
    Then the sign-in is refused with an error mentioning "is for https://evil.example.com/mcp"
    And "corp" was never asked to sign anyone in

  Scenario Outline: An authorization server whose metadata <hostility> is refused
    Given a protected server "jira" behind "corp"
    And the metadata of "corp" <hostility>
    And switchboard is running
    And a client is connected
    When the client asks to sign in to "jira"
    Then the sign-in is refused with an error mentioning "<reason>"
    And "corp" was never asked to sign anyone in
    And the auth status shows "jira" as "auth_required"

    Examples:
      | hostility                                                | reason                                       |
      | names "https://evil.example.com" as its issuer           | has issuer https://evil.example.com          |
      | sends the browser to "javascript:alert(document.cookie)" | scheme javascript: is not http: or https:    |
      | takes tokens at "http://169.254.169.254/token"           | plain http is only allowed to loopback hosts |
      | registers clients at "http://10.0.0.1/register"          | plain http is only allowed to loopback hosts |

  Scenario: An authorization server that does not offer PKCE with S256 is refused
    Given a protected server "jira" behind "corp"
    And "corp" does not offer PKCE with S256
    And switchboard is running
    And a client is connected
    When the client asks to sign in to "jira"
    Then the sign-in is refused with an error mentioning "does not advertise PKCE S256"
    And "corp" was never asked to sign anyone in

  Scenario: No secret ever reaches switchboard's log
    Given an authorization server "partner" that knows switchboard as the client "switchboard-prod"
    And a protected server "crm" behind "partner"
    And the operator configures "crm" with the client "switchboard-prod" of "partner"
    And switchboard is running
    And a client that sends its own credentials "client-own-token-5d91e0b7" is connected
    When the client asks to sign in to "crm"
    And the user approves the sign-in, but the callback says it comes from another authorization server
    And the client signs in to "crm"
    Then the client eventually sees the tool "crm_whoami"
    When the browser opens the same callback again
    And the client calls "crm_whoami"
    And "partner" revokes every access token it issued
    And the client calls "crm_whoami"
    Then the result mentions "alice"
    And "partner" renewed the access token with the refresh token
    And switchboard's log holds none of the tokens, codes, verifiers, states and secrets of "partner", nor the client's credentials
