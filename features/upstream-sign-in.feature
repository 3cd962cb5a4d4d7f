@client-eras
Feature: Signing in to upstream servers
  A server that answers 401 needs a sign-in for this session. switchboard offers an authenticate tool for it,
  gives the agent a sign-in URL, completes the OAuth flow at its callback, and then connects every server of the
  session behind the same authorization server (single sign-on). Other servers are never affected.

  Background:
    Given an authorization server "corp"
    And a protected server "jira" behind "corp"
    And a protected server "wiki" behind "corp"
    And an upstream "weather" over Streamable HTTP with tools "echo"

  Scenario: A server that answers 401 needs a sign-in; the others work
    Given switchboard is running
    And a client is connected
    Then the client sees the tool "authenticate_jira"
    And the client sees the tool "weather_echo"
    And the client does not see the tool "jira_whoami"
    And the tool list says that "jira, wiki" need a sign-in at "corp"
    And the auth status shows "jira" as "auth_required" at "corp"
    And the auth status shows "weather" as "connected"

  Scenario: Calling a tool of a server that needs a sign-in names the sign-in tool
    Given switchboard is running
    And a client is connected
    When the client calls "jira_whoami"
    Then the call fails with a tool error mentioning "authenticate_jira"
    And the call result says that "jira, wiki" need a sign-in at "corp"

  Scenario: Signing in connects the server and announces its tools
    Given switchboard is running
    And a client is connected
    When the client asks to sign in to "jira"
    Then the client gets a sign-in URL at "corp"
    When the user approves the sign-in in the browser
    Then the browser says the sign-in worked
    And the client is told that the tool list changed
    And the client eventually sees the tool "jira_whoami"
    And the client does not see the tool "authenticate_jira"
    When the client calls "jira_whoami"
    Then "jira" received a token from "corp" meant for "jira"
    And the auth status shows "jira" as "connected" at "corp"
    And the tool list says that nothing needs a sign-in

  Scenario: One sign-in connects every server behind the same issuer
    Given switchboard is running
    And a client is connected
    When the client signs in to "jira"
    Then the client eventually sees the tool "wiki_whoami"
    And the client was told exactly once that the tool list changed
    And "corp" was asked for 1 sign-in
    When the client asks to sign in to "wiki"
    Then the client is told that "wiki" is connected
    When the client calls "wiki_whoami"
    Then "wiki" received a token from "corp" meant for "wiki"

  Scenario: Servers behind another issuer still need their own sign-in
    Given an authorization server "partner"
    And a protected server "crm" behind "partner"
    And switchboard is running
    And a client is connected
    When the client signs in to "jira"
    Then the client eventually sees the tool "wiki_whoami"
    And the client sees the tool "authenticate_crm"
    And the tool list says that "crm" need a sign-in at "partner"
    When the client signs in to "crm"
    Then the client eventually sees the tool "crm_whoami"
    And "crm" never received a token from "corp"
    And "jira" never received a token from "partner"

  @legacy-only
  Scenario: Each session signs in for itself
    Given switchboard is running
    And client "alice" is connected
    And client "bob" is connected
    When client "alice" signs in to "jira"
    Then client "alice" eventually sees the tool "jira_whoami"
    And client "bob" still sees the tool "authenticate_jira"
    When client "bob" calls "jira_whoami"
    Then client "bob" gets a tool error mentioning "authenticate_jira"
    Given client "carol" is connected
    Then client "carol" still sees the tool "authenticate_jira"

  @legacy-only
  Scenario: A client that supports URL elicitation is asked to open the sign-in page
    Given switchboard is running
    And a client that supports URL elicitation is connected
    When the client asks to sign in to "jira"
    Then the client was asked to open the sign-in URL
    When the user approves the sign-in in the browser
    Then the client is told that the URL elicitation completed
    And the client eventually sees the tool "jira_whoami"

  @modern-only
  Scenario: Clients without sessions (2026-07-28) on a loopback address share the local user's sign-ins
    Given switchboard is running
    And client "alice" is connected
    And client "bob" is connected
    When client "alice" signs in to "jira"
    Then client "alice" eventually sees the tool "jira_whoami"
    And client "bob" eventually sees the tool "jira_whoami"

  @modern-only
  Scenario: A client without a session is asked to open the sign-in page within its call
    Given switchboard is running
    And a client that supports URL elicitation is connected
    When the client asks to sign in to "jira"
    Then the client was asked to open the sign-in URL
    And the client gets a sign-in URL at "corp"
    When the user approves the sign-in in the browser
    Then the client eventually sees the tool "jira_whoami"

  @modern-only
  Scenario: Without a front door, a client without a session on a shared address gets the public servers only
    Given switchboard listens on all interfaces
    And switchboard is running
    And a client is connected
    Then the client sees the tool "weather_echo"
    And the client does not see the tool "authenticate_jira"
    When the client calls "jira_whoami"
    Then the call fails with a tool error mentioning "front door"
