Feature: Clients nobody here wrote sign in to the protected switchboard
  Behind its front door switchboard is a standard OAuth-protected MCP server, so the MCP clients people already use
  sign in to it by themselves. mcp-remote is the bridge Claude Desktop users run in front of remote servers that need
  OAuth: launched as a command, it finds where to sign in from switchboard's challenge, registers itself at the
  identity provider, opens the browser for the sign-in and then relays the person's requests.
  (The MCP TypeScript SDK v2 client with its OAuth provider: features/front-door.feature.)

  Background:
    Given an authorization server "idp"
    And switchboard is protected by "idp"
    And an upstream "weather" over Streamable HTTP with tools "echo"
    And switchboard is running

  Scenario: mcp-remote signs in through the browser and calls a tool through switchboard
    When "carol" adds switchboard to Claude Desktop through mcp-remote and signs in at "idp"
    Then client "carol" sees the tool "weather_echo"
    When client "carol" calls "weather_echo" with text "hello from Claude Desktop"
    Then client "carol" gets a result mentioning "hello from Claude Desktop"
    And the browser opened the sign-in page of "idp" and came back to mcp-remote
    And "idp" registered mcp-remote itself and issued it a token for switchboard, with PKCE
    And "weather" never received the token mcp-remote presented to switchboard
