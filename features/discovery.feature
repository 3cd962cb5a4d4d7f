Feature: Finding out where and how to sign in
  A server that needs a sign-in does not tell switchboard much: a 401 answer. switchboard finds the server's
  metadata (RFC 9728) where the MCP specification says to look, learns which authorization server to use unless the
  operator pinned one, and finds that server's metadata (RFC 8414) even when its issuer has a path. It then
  identifies itself: with a client registered beforehand by the operator, else with its client metadata document
  where the authorization server accepts those, else by registering once per authorization server. Every sign-in is
  protected by PKCE (S256), asks for a token meant for that one server, and its callback is accepted once, with the
  state it was given, from the authorization server it was sent to.

  Background:
    Given an authorization server "corp"

  Rule: The server's metadata is found where the MCP specification says to look

    Scenario: The server's 401 answer says where its metadata is
      Given a protected server "jira" behind "corp" that publishes its metadata only where its 401 answers say
      And switchboard is running
      And a client is connected
      When the client signs in to "jira"
      Then the client eventually sees the tool "jira_whoami"
      When the client calls "jira_whoami"
      Then "jira" received a token from "corp"

    Scenario: The metadata is at the well-known address for the server's path
      Given a protected server "jira" behind "corp" that publishes its metadata only at the well-known address for its path
      And switchboard is running
      And a client is connected
      When the client signs in to "jira"
      Then the client eventually sees the tool "jira_whoami"
      When the client calls "jira_whoami"
      Then "jira" received a token from "corp" meant for "jira"

    Scenario: The metadata is at the well-known address of the server's host
      Given a protected server "jira" behind "corp" that publishes its metadata only at the well-known address of its host
      And switchboard is running
      And a client is connected
      When the client signs in to "jira"
      Then the client eventually sees the tool "jira_whoami"
      When the client calls "jira_whoami"
      Then "jira" received a token from "corp" meant for "jira"

  Rule: The operator can pin the authorization server of a server

    Scenario: A server that publishes no metadata signs in where the operator pinned it
      Given a protected server "jira" behind "corp" that publishes no metadata
      And the operator pins the authorization server of "jira" to "corp"
      And switchboard is running
      And a client is connected
      When the client signs in to "jira"
      Then the client eventually sees the tool "jira_whoami"
      When the client calls "jira_whoami"
      Then "jira" received a token from "corp" meant for "jira"

    Scenario: A server that names another authorization server than the pinned one is refused
      Given an authorization server "elsewhere"
      And a protected server "jira" behind "elsewhere"
      And the operator pins the authorization server of "jira" to "corp"
      And switchboard is running
      And a client is connected
      When the client asks to sign in to "jira"
      Then the sign-in is refused with an error mentioning "not the pinned issuer"
      And "elsewhere" was never asked to sign anyone in
      And "corp" was never asked to sign anyone in
      And the auth status shows "jira" as "auth_required"

  Rule: The authorization server's metadata is found also when its issuer has a path

    Scenario Outline: An authorization server with a path publishes its metadata at <place>
      Given an authorization server "tenant" whose issuer has the path "/tenants/acme"
      And "tenant" publishes its metadata only at "<place>"
      And a protected server "jira" behind "tenant"
      And switchboard is running
      And a client is connected
      When the client signs in to "jira"
      Then the client eventually sees the tool "jira_whoami"
      When the client calls "jira_whoami"
      Then "jira" received a token from "tenant" meant for "jira"

      Examples:
        | place                              |
        | the OAuth well-known address       |
        | the OpenID well-known address      |
        | the OpenID address below its issuer |

  Rule: switchboard identifies itself the best way the authorization server allows, and registers at most once

    Scenario: switchboard is known by its client metadata document where the authorization server accepts those
      Given a protected server "jira" behind "corp"
      And switchboard publishes its client metadata document at its own address for "jira"
      And switchboard is running
      And a client is connected
      When the client signs in to "jira"
      Then the client eventually sees the tool "jira_whoami"
      And "corp" fetched switchboard's client metadata document
      And "corp" knows switchboard by the address of that document
      And "corp" registered switchboard 0 times

    Scenario: switchboard registers once with an authorization server, whatever the number of servers and sessions
      Given an authorization server "partner" that offers dynamic client registration only
      And a protected server "crm" behind "partner"
      And a protected server "billing" behind "partner"
      And switchboard is running
      And client "alice" is connected
      And client "bob" is connected
      When client "alice" signs in to "crm"
      And client "bob" signs in to "billing"
      Then client "alice" eventually sees the tool "crm_whoami"
      And client "bob" eventually sees the tool "billing_whoami"
      And "partner" registered switchboard 1 time

    Scenario: A client the operator registered beforehand is used
      Given an authorization server "partner" that knows switchboard as the client "switchboard-prod"
      And a protected server "crm" behind "partner"
      And the operator configures "crm" with the client "switchboard-prod" of "partner"
      And switchboard is running
      And a client is connected
      When the client signs in to "crm"
      Then the client eventually sees the tool "crm_whoami"
      And "partner" knows switchboard as "switchboard-prod", with its secret
      And "partner" registered switchboard 0 times

  Rule: Every sign-in is protected, and asks for a token meant for its server only

    Background:
      Given a protected server "jira" behind "corp"
      And switchboard is running
      And a client is connected

    Scenario: The sign-in is protected by PKCE with S256
      When the client signs in to "jira"
      Then the code verifier switchboard sent to "corp" matches the S256 challenge of its authorization request

    Scenario: The token is asked for the server it is meant for
      When the client signs in to "jira"
      Then "corp" was asked for a token meant for "jira" in the authorization request and in the token request

    Scenario: Every sign-in has its own unguessable state
      When the client asks to sign in to "jira" twice
      Then each sign-in URL carries its own state of at least 43 characters

    Scenario: A sign-in link can be used only once
      When the client signs in to "jira"
      Then the client eventually sees the tool "jira_whoami"
      When the browser opens the same callback again
      Then the browser says the sign-in failed because "expired or was already used"
      And "corp" was asked for 1 sign-in
      And the client still sees the tool "jira_whoami"

    # A state older than 10 minutes is refused like a used one; test/sign-in-state.test.ts checks that with a fake
    # clock, which cannot run under the real servers of these scenarios.

    Scenario: A callback with a state switchboard never issued is refused, and the genuine one still works
      When the client asks to sign in to "jira"
      And the user approves the sign-in, but the callback carries a state switchboard never issued
      Then the browser says the sign-in failed because "expired or was already used"
      And "corp" was asked for 0 sign-ins
      And the client still sees the tool "authenticate_jira"
      When the browser then opens the genuine callback
      Then the browser says the sign-in worked
      And the client eventually sees the tool "jira_whoami"

    Scenario: A callback that says it comes from another authorization server is refused
      When the client asks to sign in to "jira"
      And the user approves the sign-in, but the callback says it comes from another authorization server
      Then the browser says the sign-in failed because "not from"
      And "corp" was asked for 0 sign-ins
      And the client still sees the tool "authenticate_jira"

    Scenario: A callback without the issuer the authorization server promised is refused
      When the client asks to sign in to "jira"
      And the user approves the sign-in, but the callback does not say which authorization server it comes from
      Then the browser says the sign-in failed because "carries no issuer"
      And "corp" was asked for 0 sign-ins
      And the client still sees the tool "authenticate_jira"

    Scenario: The user denies the sign-in
      When the client asks to sign in to "jira"
      And the user denies the sign-in in the browser
      Then the browser says the sign-in failed because "access_denied"
      And "corp" was asked for 0 sign-ins
      And the auth status shows "jira" as "auth_required" at "corp"
      And the client still sees the tool "authenticate_jira"
