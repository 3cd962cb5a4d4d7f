Feature: Long sessions stay lean
  A session may last for days and make many thousands of calls. Each call must leave nothing behind: no listener
  on a long-lived signal or connection, no growing bookkeeping. Node warns (MaxListenersExceededWarning) when
  listeners pile up on one emitter, which is the first sign of a leak that ends with an out-of-memory restart.

  Scenario: Two thousand calls through one session leave no listeners behind
    Given an upstream "weather" over Streamable HTTP with tools "echo"
    And switchboard is running
    And a client is connected
    When the client calls "weather_echo" 2000 times, 4 at a time
    Then every one of those calls succeeded
    And no warning about piling-up listeners was raised
