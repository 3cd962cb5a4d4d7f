Feature: Servers of either protocol era
  MCP has two protocol eras: 2025-11-25 (with sessions) and 2026-07-28 (stateless). switchboard reaches every server
  in the era it speaks, and finds that era out once: later sessions reach the server at once, without asking again.
  (The features tagged @upstream-eras run once with 2025 servers and once with servers that speak only 2026-07-28.)

  Scenario: A server's protocol era is found out once, not for every session
    Given an upstream "weather" that speaks only the 2026-07-28 protocol, with tools "echo"
    And switchboard is running
    When client "alice" is connected
    And client "bob" is connected
    Then client "alice" sees exactly the tools "weather_echo"
    And client "bob" sees exactly the tools "weather_echo"
    And the upstream "weather" was asked for its protocol era 1 time
