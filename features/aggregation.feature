@upstream-eras
Feature: One endpoint for many MCP servers
  switchboard offers the tools, prompts and resources of every configured server through one MCP endpoint,
  whatever transport each server speaks, and routes each request to the server it belongs to.

  Background:
    Given an upstream "weather" over Streamable HTTP with tools "echo, forecast"
    And the upstream "weather" has a prompt "daily"
    And the upstream "weather" has a resource "file:///readme.txt" with text "weather readme"
    And an upstream "news" over SSE with tools "echo, headlines"
    And the upstream "news" has a resource "file:///readme.txt" with text "news readme"
    And an upstream "files" over stdio with tools "echo"
    And the upstream "files" has a prompt "daily"
    And switchboard is running
    And a client is connected

  Scenario: Tools of all three transports appear in one catalog, prefixed with their server
    Then the client sees exactly the tools "weather_echo, weather_forecast, news_echo, news_headlines, files_echo"

  Scenario: A call reaches the server that owns the tool
    When the client calls "news_echo" with text "hello from the client"
    Then the result is "hello from the client"
    And the upstream "news" received 1 call to "echo"
    And the upstream "weather" received 0 calls to "echo"

  Scenario: A call to a stdio server is relayed
    When the client calls "files_echo" with text "over stdio"
    Then the result is "over stdio"

  Scenario: Prompts of different servers with the same name stay apart
    Then the client sees exactly the prompts "weather_daily, files_daily"
    When the client gets the prompt "files_daily"
    Then the prompt text mentions "files"

  Scenario: Resources with the same URI on two servers never collide
    Then the client sees 2 upstream resources
    When the client reads the resource "news+file:///readme.txt"
    Then the resource text is "news readme"
    When the client reads the resource "weather+file:///readme.txt"
    Then the resource text is "weather readme"

  Scenario: Several sessions call concurrently and each gets its own answers
    Given 4 more clients are connected
    When every client calls "weather_echo" 10 times concurrently with its own text
    Then every client got back exactly its own texts

  Scenario: Concurrent tool listings on one session all succeed
    When the client lists its tools 20 times concurrently
    Then all 20 listings contain 5 tools
