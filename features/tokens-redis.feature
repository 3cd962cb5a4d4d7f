Feature: Keeping tokens in Redis
  With a Redis token store, every switchboard that shares the Redis and the secret shares the sign-ins: tokens are
  sealed with a key derived from the secret, refreshes are serialised across all of them, and a sign-in outlives the
  switchboard process that made it. A Redis that cannot be reached is reported, never silently replaced by memory.

  Background:
    Given switchboard keeps its tokens in a private Redis
    And an authorization server "corp"
    And a protected server "jira" behind "corp"

  Scenario: Signing in, with single sign-on, keeps the tokens sealed in Redis
    Given a protected server "wiki" behind "corp"
    And switchboard is running
    And a client is connected
    When the client signs in to "jira"
    Then the client eventually sees the tool "wiki_whoami"
    And "corp" was asked for 1 sign-in
    When the client calls "wiki_whoami"
    Then "wiki" received a token from "corp" meant for "wiki"
    And Redis holds the client's sign-in at "corp", but none of its tokens in readable form

  Scenario: A signed-in server reuses its access token from Redis
    Given switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    When the client calls "jira_whoami" 5 times
    And the client lists its tools again
    Then every one of those calls got an answer
    And "corp" issued no token and started no sign-in since the sign-in

  Scenario: A short-lived access token kept in Redis is refreshed before it expires
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

  Scenario: Two switchboards that need the same expired sign-in at once refresh it once between them
    Given switchboard is running
    And a second switchboard shares its Redis
    And a client is connected
    And the client has signed in to "jira"
    When the access tokens from "corp" expire
    And the client calls "jira_echo" 5 times at once while the second switchboard needs the client's token for "jira" 5 times
    Then every one of those uses got a working token
    And "corp" refreshed the sign-in exactly once since the sign-in

  Scenario: A sign-in kept in Redis outlives the switchboard that made it
    Given switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    When another switchboard starts on the same Redis
    Then it finds the client's sign-in at "corp" and a token "jira" accepts

  Scenario: A switchboard with another secret cannot read the sign-ins
    Given switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    When another switchboard starts on the same Redis with another secret
    Then it finds no sign-in of the client at "corp"

  Scenario: After a restart, switchboard is still registered at the authorization server
    Given switchboard always listens on the same port
    And switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    When switchboard is restarted
    And the client signs in to "jira"
    Then the client eventually sees the tool "jira_whoami"
    And "corp" registered switchboard once

  Scenario: Ending a session deletes its tokens from Redis, and only its own
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

  Scenario: Sign-ins of sessions still open when switchboard stops expire from Redis by themselves
    Given sessions expire after 2000 ms without requests
    And switchboard is running
    And a client is connected
    And the client has signed in to "jira"
    When switchboard stops while the client's session is still open
    Then Redis still holds the client's sign-in at "corp", set to expire within 2 seconds
    And Redis soon holds no sign-in at "corp"

  Scenario: An unreachable Redis makes switchboard unready and sign-ins fail with a clear error
    Given Redis is down
    And switchboard is running
    And a client is connected
    Then switchboard is not ready, because its token store cannot reach Redis
    And the client sees the tool "authenticate_jira"
    When the client asks to sign in to "jira"
    Then the client gets a tool error mentioning "Redis is not reachable"
    When Redis comes back
    Then switchboard soon is ready
    When the client signs in to "jira"
    Then the client eventually sees the tool "jira_whoami"

  Scenario: A sign-in callback that arrives while Redis is down is asked to try again, and the same link works once Redis is back
    Given switchboard is running
    And a client is connected
    When the client asks to sign in to "jira"
    And Redis stops, saving its data
    And the user approves the sign-in in the browser
    Then the browser is asked to try again in a moment, and nothing was lost
    When Redis comes back with its data
    Then switchboard soon is ready
    When the browser opens the same callback link again
    Then the browser says the sign-in worked
    And the client eventually sees the tool "jira_whoami"
    And "corp" was asked for 1 sign-in

  Scenario: A sign-in whose callback reaches another replica is picked up by the session's own
    Given switchboard is running
    And a second switchboard shares its Redis
    And a client is connected
    When the client asks to sign in to "jira"
    And the user approves the sign-in, and the browser's callback reaches the second switchboard
    Then the browser says the sign-in worked
    When the client asks to sign in to "jira"
    Then the client is told that "jira" needs no new sign-in
    And the client eventually sees the tool "jira_whoami"
    And "corp" was asked for 1 sign-in
