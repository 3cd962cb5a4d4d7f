@upstream-eras
Feature: Clients learn when the catalog changes
  When a server adds or removes tools or prompts, switchboard tells every connected client that the list changed,
  and the client's next listing shows the change.

  Background:
    Given an upstream "weather" over Streamable HTTP with tools "echo"
    And switchboard is running

  Scenario: A tool a server adds appears
    Given a client is connected
    And the client sees exactly the tools "weather_echo"
    When the upstream "weather" adds a tool "forecast"
    Then the client is told that the tool list changed
    And the client sees exactly the tools "weather_echo, weather_forecast"

  Scenario: A tool a server removes disappears
    Given a client is connected
    And the client sees exactly the tools "weather_echo"
    When the upstream "weather" removes the tool "echo"
    Then the client is told that the tool list changed
    And the client sees exactly the tools ""

  Scenario: A prompt a server adds appears
    Given a client is connected
    And the client sees exactly the prompts ""
    When the upstream "weather" adds a prompt "daily"
    Then the client is told that the prompt list changed
    And the client sees exactly the prompts "weather_daily"

  Scenario: Every connected client is told
    Given client "alice" is connected
    And client "bob" is connected
    And client "alice" sees exactly the tools "weather_echo"
    And client "bob" sees exactly the tools "weather_echo"
    When the upstream "weather" adds a tool "forecast"
    Then client "alice" is told that the tool list changed
    And client "bob" is told that the tool list changed
    And client "alice" sees exactly the tools "weather_echo, weather_forecast"
    And client "bob" sees exactly the tools "weather_echo, weather_forecast"
