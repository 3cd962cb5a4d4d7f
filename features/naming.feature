@upstream-eras
Feature: Public tool names
  Every tool gets one public name: its server's name, "_", and its own name. Clients accept names of at most
  64 characters (configurable) made of letters, digits, ".", "_" and "-"; a name that does not fit is shortened or
  made safe, keeping a readable head and ending in a short hash of the original. The hash makes the name the same
  on every start and keeps two tools from ever sharing a name.

  Scenario: A tool is named after its server
    Given an upstream "weather" over Streamable HTTP with tools "forecast"
    And switchboard is running
    And a client is connected
    Then the client sees exactly the tools "weather_forecast"

  Scenario: A long tool name is shortened to 64 characters, the same way on every start
    Given an upstream "weather" with a tool named "get_the_detailed_hourly_forecast_for_any_location_including_wind_and_rain"
    And switchboard is running
    And a client is connected
    Then every tool name the client sees has at most 64 characters
    And the client sees a tool whose name begins with "weather_get_the_detailed_hourly_forecast"
    And each tool the client sees leads to a different upstream tool
    When switchboard restarts
    Then the client sees the same tool names as before

  Scenario: A configured length limit is respected, and short names stay as they are
    Given tool names are limited to 32 characters
    And an upstream "weather" over Streamable HTTP with tools "echo, get_the_detailed_hourly_forecast"
    And switchboard is running
    And a client is connected
    Then every tool name the client sees has at most 32 characters
    And the client sees the tool "weather_echo"
    And each tool the client sees leads to a different upstream tool

  Scenario: Two long names that begin alike stay apart
    Given an upstream "reports" with the tools:
      | quarterly_revenue_report_for_the_northern_region_broken_down_by_product_line |
      | quarterly_revenue_report_for_the_northern_region_broken_down_by_sales_person |
    And switchboard is running
    And a client is connected
    Then the client sees 2 tools
    And every tool name the client sees has at most 64 characters
    And each tool the client sees leads to a different upstream tool

  Scenario: Characters clients do not accept are replaced
    Given an upstream "docs" with the tools:
      | search docs (beta) |
      | größe/berechnen    |
      | search_docs__beta_ |
    And switchboard is running
    And a client is connected
    Then the client sees 3 tools
    And every tool name the client sees is made of letters, digits, dots, dashes and underscores only
    And each tool the client sees leads to a different upstream tool

  Scenario: A server without a prefix exposes its own names
    Given an upstream "files" over Streamable HTTP with tools "read_file, write_file"
    And the upstream "files" is exposed without a prefix
    And switchboard is running
    And a client is connected
    Then the client sees exactly the tools "read_file, write_file"
    When the client calls "read_file" with path "/etc/motd"
    Then the upstream "files" received 1 call to "read_file"

  Scenario: Two servers without a prefix never share a name: the first in the configuration keeps it
    Given an upstream "alpha" over Streamable HTTP with tools "whoami"
    And an upstream "beta" over Streamable HTTP with tools "whoami"
    And the upstream "alpha" is exposed without a prefix
    And the upstream "beta" is exposed without a prefix
    And switchboard is running
    And a client is connected
    Then the client sees exactly the tools "whoami, beta_whoami"
    And each tool the client sees leads to a different upstream tool
