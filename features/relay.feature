@client-eras @upstream-eras
Feature: What servers send during a call reaches the client that made it
  While a call runs, a server can report progress, write log messages, ask the client's model for a completion
  (sampling), ask the user a question (elicitation) or ask for the client's roots. switchboard relays each of them to
  the session that made the call, and only to it, and relays the answer back. A client that does not offer a
  capability is never asked; the server gets a clear error instead.

  Background:
    Given an upstream "weather" over Streamable HTTP with tools "progress, log, sample, elicit, roots"
    And switchboard is running

  Scenario: Progress of a long call reaches the client
    Given a client is connected
    When the client calls "weather_progress" for 3 steps, following its progress
    Then the result is "done"
    And the client was told of progress 1, 2 and 3 out of 3

  Scenario: Log messages of a call go to the session that made it, and only there
    Given client "alice" is connected
    And client "bob" is connected
    When client "alice" calls "weather_log" with message "disk almost full"
    Then client "alice" receives the log message "disk almost full" from "weather"
    And client "bob" received no log messages

  @modern-only
  Scenario: A 2026-07-28 request that names no log level gets no log messages
    Given a client is connected
    And the client names no log level on its requests
    When the client calls "weather_log" with message "disk almost full"
    Then the call succeeds
    And the client received no log messages

  Scenario: A server asks the client's model, and gets its answer
    Given a client that can sample, answering "The sky is blue.", is connected
    When the client calls "weather_sample" with prompt "What colour is the sky?"
    Then the client was asked to sample "What colour is the sky?"
    And the result is "The sky is blue."

  Scenario: A client that cannot sample is never asked; the server is told so
    Given a client is connected
    When the client calls "weather_sample" with prompt "What colour is the sky?"
    Then the call fails, telling the client it does not support "sampling"

  Scenario: A server asks the user a question, and gets the answer
    Given a client that can ask its user questions is connected
    When the client calls "weather_elicit" with message "Which city?"
    Then the client was asked "Which city?"
    And the result mentions "forty-two"

  Scenario: A client that cannot ask its user is never asked; the server is told so
    Given a client is connected
    When the client calls "weather_elicit" with message "Which city?"
    Then the call fails, telling the client it does not support "elicitation"

  Scenario: A server learns the client's roots
    Given a client with the root "file:///home/ada/project" is connected
    When the client calls "weather_roots"
    Then the result mentions "file:///home/ada/project"
