Feature: Keeping upstream tokens fresh, and letting go of them
  After a sign-in, switchboard holds the session's tokens for each upstream server. It reuses an access token while it
  is good and refreshes it shortly before it expires (a quarter of its lifetime before, for short-lived tokens), once,
  however many calls need it at the same moment: the authorization servers here rotate refresh tokens, and presenting
  one twice would make them revoke the whole sign-in. switchboard asks the person to sign in again only when the
  authorization server has really withdrawn the sign-in or a tool needs a wider scope, and it forgets the tokens when
  the person signs out or the session ends. No token, code, verifier or secret ever reaches its log.

  Background:
    Given an authorization server "corp"
    And a protected server "jira" behind "corp"

  Scenario: A signed-in server reuses its access token
    Given switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    When the client calls "jira_whoami" 5 times
    And the client lists its tools again
    Then every one of those calls got an answer
    And "corp" issued no token and started no sign-in since the sign-in

  Scenario: A short-lived access token is refreshed before it expires
    Given "corp" issues access tokens that last 4 seconds
    And switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    When the access token for "jira" is about to expire
    And the client calls "jira_whoami"
    Then the client gets an answer
    And "corp" refreshed the sign-in exactly once since the sign-in
    And "jira" never refused a token

  Scenario: Many calls that find the token expired share one refresh
    Given switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    When the access tokens from "corp" expire
    And the client calls "jira_echo" 10 times at once
    Then all 10 calls get their answer
    And "corp" refreshed the sign-in exactly once since the sign-in
    And the auth status shows "jira" as "connected" at "corp"

  Scenario: A sign-in the authorization server withdrew must be done again when the token runs out
    Given "corp" issues access tokens that last 4 seconds
    And switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    When "corp" revokes every sign-in
    And the access token for "jira" is about to expire
    And the client calls "jira_whoami"
    Then the client gets a tool error mentioning "authenticate_jira"
    And the auth status shows "jira" as "reauth_required" at "corp"
    And the client sees the tool "authenticate_jira"
    And switchboard holds no sign-in at "corp" for the client
    When the client signs in to "jira"
    Then the client eventually sees the tool "jira_whoami"
    And the auth status shows "jira" as "connected" at "corp"
    When the client calls "jira_whoami"
    Then the client gets an answer

  Scenario: A server that refuses a token it accepted before sends the person back to sign in
    Given switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    When "corp" revokes every sign-in
    And the client calls "jira_whoami"
    Then the client gets a tool error mentioning "authenticate_jira"
    And the client sees the tool "authenticate_jira"
    And the client does not see the tool "jira_whoami"
    And the auth status shows "jira" as "reauth_required" at "corp"

  Scenario: A passing failure of the authorization server during a refresh keeps the sign-in
    Given "corp" issues access tokens that last 8 seconds
    And switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    And "corp" is briefly unavailable for the next 2 refreshes
    When the access token for "jira" is about to expire
    And the client calls "jira_whoami"
    Then the client gets an answer
    And the auth status shows "jira" as "connected" at "corp"
    When the client calls "jira_whoami"
    Then the client gets an answer
    And "jira" never refused a token

  Scenario: A passing failure of the authorization server just when a token is refused does not ask for a new sign-in
    Given switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    And "corp" is briefly unavailable for the next refresh
    When the access tokens from "corp" expire
    And the client calls "jira_whoami"
    Then the call fails without asking for a sign-in
    And the client does not see the tool "authenticate_jira"
    And the auth status soon shows "jira" as "connected" at "corp"
    When the client calls "jira_whoami"
    Then the client gets an answer

  Scenario: A tool that needs a wider scope asks for a sign-in with that scope
    Given a protected server "ops" behind "corp" that needs the scope "read", and the scope "admin" for its tool "purge"
    And switchboard is running
    And a client is connected
    And the client has signed in to "ops"
    When the client calls "ops_purge"
    Then the client gets a tool error mentioning "authenticate_ops"
    And the call result says that "ops" needs a sign-in at "corp" for the scope "admin"
    And the auth status shows "ops" as "auth_required" at "corp" for the scope "admin"
    When the client asks to sign in to "ops"
    Then the sign-in URL asks for the scopes "read admin"
    When the user approves the sign-in in the browser
    Then the client eventually sees the tool "ops_purge"
    When the client calls "ops_purge"
    Then the client gets an answer

  Scenario: Signing out of one server keeps the others behind the same issuer connected
    Given a protected server "wiki" behind "corp"
    And switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    And the client eventually sees the tool "wiki_whoami"
    When the client signs out of "jira"
    Then the client sees the tool "authenticate_jira"
    And the client does not see the tool "jira_whoami"
    And the auth status shows "jira" as "auth_required" at "corp"
    When the access tokens from "corp" expire
    And the client calls "wiki_whoami"
    Then the client gets an answer
    And the auth status shows "wiki" as "connected" at "corp"
    And the client does not see the tool "jira_whoami"

  Scenario: Signing out everywhere disconnects every server behind the issuer
    Given a protected server "wiki" behind "corp"
    And switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    And the client eventually sees the tool "wiki_whoami"
    When the client signs out of "jira" everywhere
    Then the client sees the tool "authenticate_jira"
    And the client sees the tool "authenticate_wiki"
    And the client does not see the tool "wiki_whoami"
    And switchboard holds no sign-in at "corp" for the client

  Scenario: A server the person signed out of is not reconnected by another sign-in at its issuer
    Given a protected server "wiki" behind "corp"
    And switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    And the client eventually sees the tool "wiki_whoami"
    When the client signs out of "jira"
    And the client signs out of "wiki"
    And the client signs in to "wiki"
    Then the client is told that the tool list changed
    And the client sees the tool "wiki_whoami"
    And the client does not see the tool "jira_whoami"
    And the auth status shows "jira" as "auth_required" at "corp"

  Scenario: Ending a session deletes its tokens, and only its own
    Given switchboard is running
    And client "alice" is connected
    And client "bob" is connected
    And client "alice" has signed in to "jira"
    And client "bob" has signed in to "jira"
    When client "alice" ends its session
    Then switchboard soon holds no sign-in at "corp" for client "alice"
    And switchboard holds a sign-in at "corp" for client "bob"
    When client "bob" calls "jira_whoami"
    Then client "bob" gets an answer

  Scenario: Tokens, codes and secrets never reach the log
    Given a protected server "wiki" behind "corp"
    And switchboard is registered at "corp" as a confidential client
    And switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    And the client eventually sees the tool "wiki_whoami"
    When the access tokens from "corp" expire
    And the client calls "jira_whoami"
    And the client calls "wiki_whoami"
    And the client signs out of "jira" everywhere
    Then "corp" refreshed the sign-in at least once since the sign-in
    And switchboard's log holds none of the tokens, codes, verifiers and secrets exchanged with "corp"
