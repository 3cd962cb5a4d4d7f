@client-eras
Feature: Upstream sign-ins behind the front door belong to users
  Behind the front door, upstream tokens belong to the person signed in (per user and issuer, `tokens.scope: user`,
  the default), or to each session (`tokens.scope: session`). One user never gets another's token, a session
  answers only the user who opened it, and the token a client presents to switchboard never goes further. A server
  that is removed takes its tokens with it, for every user: its access tokens go, and so does the whole sign-in at its
  authorization server once no other server signs in there.

  Background:
    Given an authorization server "idp"
    And an authorization server "corp"
    And a protected server "jira" behind "corp"
    And an upstream "weather" over Streamable HTTP with tools "echo"

  Scenario: A user's sign-in serves all their sessions, and never another user
    Given switchboard is protected by "idp"
    And switchboard is running
    And client "alice-laptop" is connected as "alice"
    And client "bob" is connected as "bob"
    When client "alice-laptop" signs in to "jira" as "alice"
    And client "alice-desktop" is connected as "alice"
    Then client "alice-desktop" eventually sees the tool "jira_whoami"
    When client "alice-desktop" calls "jira_whoami"
    Then client "alice-desktop" gets a result mentioning "alice"
    And client "bob" sees the tool "authenticate_jira"
    And client "bob" does not see the tool "jira_whoami"
    When client "bob" signs in to "jira" as "bob"
    And client "bob" calls "jira_whoami"
    Then client "bob" gets a result mentioning "bob"
    And "jira" received tokens of the users "alice, bob" only

  @legacy-only
  Scenario: A user's 2025-11-25 sessions and 2026-07-28 requests share their sign-ins
    Given switchboard is protected by "idp"
    And switchboard is running
    And client "alice-session" is connected as "alice" with a 2025-11-25 client
    When client "alice-session" signs in to "jira" as "alice"
    And client "alice-stateless" is connected as "alice" with a 2026-07-28 client
    Then client "alice-stateless" sees the tool "jira_whoami"
    When client "alice-stateless" calls "jira_whoami"
    Then client "alice-stateless" gets a result mentioning "alice"

  @legacy-only
  Scenario: With tokens kept per session, each session signs in on its own
    Given switchboard is protected by "idp", keeping upstream tokens per session
    And switchboard is running
    And client "alice-laptop" is connected as "alice"
    When client "alice-laptop" signs in to "jira" as "alice"
    And client "alice-desktop" is connected as "alice"
    Then client "alice-desktop" sees the tool "authenticate_jira"
    And client "alice-desktop" does not see the tool "jira_whoami"

  @legacy-only
  Scenario: A session answers only the user who opened it
    Given switchboard is protected by "idp"
    And switchboard is running
    And client "alice" is connected as "alice"
    When a request in client "alice"'s session arrives with the token of "mallory"
    Then it is answered "not found"
    And client "alice" still sees the tool "weather_echo"

  Scenario: The token a client presents never reaches an upstream
    Given the upstream "weather" is configured with the header "X-Team" set to "core"
    And switchboard is protected by "idp"
    And switchboard is running
    And client "alice" is connected as "alice"
    When client "alice" calls "weather_echo" with text "hi"
    And client "alice" signs in to "jira" as "alice"
    And client "alice" calls "jira_whoami"
    Then no upstream ever received a token a client presented to switchboard

  Scenario: Signing out deletes the user's token: a new session must sign in again
    Given switchboard is protected by "idp"
    And switchboard is running
    And client "alice-laptop" is connected as "alice"
    When client "alice-laptop" signs in to "jira" as "alice"
    Then switchboard holds a sign-in at "corp" for the user "alice"
    When client "alice-laptop" signs out of "jira"
    Then switchboard holds no sign-in at "corp" for the user "alice"
    And client "alice-laptop" eventually sees the tool "authenticate_jira"
    When client "alice-desktop" is connected as "alice"
    Then client "alice-desktop" sees the tool "authenticate_jira"
    And client "alice-desktop" does not see the tool "jira_whoami"

  @legacy-only
  Scenario: Ending a session deletes its tokens when they are kept per session, and keeps the user's otherwise
    Given switchboard is protected by "idp", keeping upstream tokens per session
    And switchboard is running
    And client "alice-laptop" is connected as "alice"
    When client "alice-laptop" signs in to "jira" as "alice"
    Then switchboard holds a sign-in at "corp" for client "alice-laptop"
    And switchboard holds no sign-in at "corp" for the user "alice"
    When client "alice-laptop" ends its session
    Then switchboard soon holds no sign-in at "corp" for client "alice-laptop"

  @legacy-only
  Scenario: Ending one of a user's sessions keeps the user's sign-ins
    Given switchboard is protected by "idp"
    And switchboard is running
    And client "alice-laptop" is connected as "alice"
    When client "alice-laptop" signs in to "jira" as "alice"
    And client "alice-laptop" ends its session
    Then switchboard holds a sign-in at "corp" for the user "alice"
    When client "alice-desktop" is connected as "alice"
    Then client "alice-desktop" sees the tool "jira_whoami"

  Scenario: Removing a server deletes its tokens for every user, and a server behind the same issuer keeps working
    Given a protected server "wiki" behind "corp"
    And switchboard is protected by "idp"
    And switchboard is running from a configuration file with the upstreams "jira, wiki"
    And client "alice" is connected as "alice"
    And client "bob" is connected as "bob"
    When client "alice" signs in to "jira" as "alice"
    And client "bob" signs in to "jira" as "bob"
    And the configuration file is saved with the upstreams "wiki"
    And switchboard is told to reload its configuration
    Then client "alice" eventually no longer sees the tool "jira_whoami"
    And client "bob" eventually no longer sees the tool "jira_whoami"
    When client "alice" calls "wiki_whoami"
    Then client "alice" gets a result mentioning "alice"
    When client "bob" calls "wiki_whoami"
    Then client "bob" gets a result mentioning "bob"
    When the configuration file is saved with the upstreams "jira, wiki"
    And switchboard is told to reload its configuration
    Then client "alice" eventually sees the tool "jira_whoami"
    And client "bob" eventually sees the tool "jira_whoami"
    And "jira" was sent a new token of each of the users "alice, bob" once it was back, none it had seen before

  # A token is bound to its address (RFC 8707): the old address's tokens go. Whether the sign-in stretches to the new
  # address is the authorization server's call (RFC 8707 section 2.2: a refresh names only resources of the grant);
  # this one, like most, says no, and the user signs in once more.
  Scenario: A server moved to another address loses the old address's tokens
    Given a protected server "wiki" behind "corp"
    And switchboard is protected by "idp"
    And switchboard is running from a configuration file with the upstreams "weather"
    And "ops" with the scope "servers.create" adds the server "jira"
    And client "alice" is connected as "alice"
    When client "alice" signs in to "jira" as "alice"
    Then the sign-in of the user "alice" at "corp" holds a token for the address of "jira"
    When "ops" with the scope "servers.update" moves the server "jira" to the address of "wiki"
    Then the admin API answers 200
    And the sign-in of the user "alice" at "corp" holds no token for the address of "jira"
    And client "alice" eventually sees the tool "authenticate_jira"
    When client "alice" signs in to "jira" as "alice"
    Then client "alice" eventually sees the tool "jira_whoami"
    When client "alice" calls "jira_whoami"
    Then client "alice" gets a result mentioning "alice"
    And "wiki" received tokens of the users "alice" only

  Scenario: Deleting the last server behind an issuer deletes every user's sign-in there, so adding it again needs new sign-ins
    Given switchboard is protected by "idp"
    And switchboard is running from a configuration file with the upstreams "weather"
    And "ops" with the scope "servers.create" adds the server "jira"
    And client "alice" is connected as "alice"
    And client "bob" is connected as "bob"
    When client "alice" signs in to "jira" as "alice"
    And client "bob" signs in to "jira" as "bob"
    And "ops" with the scope "servers.delete" deletes the server "jira"
    Then the admin API answers 204
    And switchboard holds no sign-in at "corp" for the user "alice"
    And switchboard holds no sign-in at "corp" for the user "bob"
    When "ops" with the scope "servers.create" adds the server "jira"
    Then client "alice" eventually sees the tool "authenticate_jira"
    And client "bob" eventually sees the tool "authenticate_jira"
    And client "alice" does not see the tool "jira_whoami"
    And client "bob" does not see the tool "jira_whoami"
    And "corp" was never asked to refresh a sign-in
