@client-eras
Feature: switchboard's own front door
  With `inboundAuth` configured, switchboard is an OAuth-protected MCP endpoint: every request needs a bearer token
  from the team's identity provider, issued for switchboard itself. A request without one is told where to sign in,
  so MCP clients that support OAuth sign in by themselves. The person the token names is who switchboard serves.

  Background:
    Given an authorization server "idp"
    And switchboard is protected by "idp"
    And an upstream "weather" over Streamable HTTP with tools "echo"

  Scenario Outline: A request without a token is told where to sign in, before anything else happens
    Given switchboard is running
    When <request> arrives without a token
    Then it is refused as unauthenticated, with a challenge that says where to sign in
    And switchboard opened no session for it

    Examples:
      | request                               |
      | an initialize request                 |
      | a 2026-07-28 request                  |
      | a request for a notification stream   |
      | a request to end a session            |

  Scenario: A client with a token lists tools and calls them
    Given switchboard is running
    And client "alice" is connected as "alice"
    Then client "alice" sees the tool "weather_echo"
    When client "alice" calls "weather_echo" with text "hello"
    Then client "alice" gets a result mentioning "hello"

  @legacy-only
  Scenario: A 2025-11-25 client with a token can ping
    Given switchboard is running
    And client "alice" is connected as "alice"
    Then client "alice" can ping switchboard

  Scenario: An invalid token is refused
    Given switchboard is running
    When an initialize request arrives with the token "not.a.token"
    Then it is refused as an invalid token, with a challenge that says where to sign in
    When an initialize request arrives with a token "alice" issued for another service
    Then it is refused as an invalid token, with a challenge that says where to sign in
    When a client connects with the token "not.a.token"
    Then the client cannot connect

  Scenario: A refreshed token keeps working for the same user, with the same sign-ins
    Given an authorization server "corp"
    And a protected server "jira" behind "corp"
    And switchboard is running
    And client "alice" is connected as "alice"
    When client "alice" signs in to "jira" as "alice"
    And client "alice"'s token is refreshed
    And client "alice" calls "jira_whoami"
    Then client "alice" gets a result mentioning "alice"
    When client "alice" calls "weather_echo" with text "still me"
    Then client "alice" gets a result mentioning "still me"

  Scenario: Concurrent requests of several users all succeed
    Given switchboard is running
    And client "alice" is connected as "alice"
    And client "bob" is connected as "bob"
    When every client calls "weather_echo" 20 times concurrently with its own text
    Then every client got back exactly its own texts

  Scenario: An unknown tool gives an error that names it
    Given switchboard is running
    And client "alice" is connected as "alice"
    When client "alice" calls "weather_nonexistent"
    Then client "alice" gets a protocol error mentioning "weather_nonexistent"

  Scenario: An MCP client that supports OAuth signs in by itself: discovery, dynamic registration, PKCE, resource
    Given switchboard is running
    When an MCP client that supports OAuth connects to switchboard knowing only its URL
    Then it registered itself at "idp", signed in with PKCE for switchboard, and lists and calls tools
