@client-eras
Feature: Replicas sharing one Redis
  Any number of switchboards with the same Redis and secret form one service. A sign-in made on one is used by all,
  a refresh is done once for all of them, and a sign-in that completes on one reaches the client wherever it is
  connected, at once, through Redis.

  Background:
    Given switchboard keeps its tokens in a private Redis
    And an authorization server "corp"
    And a protected server "jira" behind "corp"

  Scenario: A sign-in whose callback lands on another replica reaches the client at once, single sign-on included
    Given a protected server "wiki" behind "corp"
    And switchboard is running
    And a second switchboard shares its Redis
    And a client is connected
    When the client asks to sign in to "jira"
    And the user approves the sign-in, and the browser's callback reaches the second switchboard
    Then the browser says the sign-in worked
    And the client hears that its tools changed, its replica having started to connect them within 200 ms of the callback
    And the client sees the tool "jira_whoami"
    And the client sees the tool "wiki_whoami"
    And "corp" was asked for 1 sign-in

  @modern-only
  Scenario: Clients of the local user on every replica hear of a sign-in made through one of them
    Given switchboard is running
    And a second switchboard shares its Redis
    And client "alice" is connected
    And client "bob" is connected to the second switchboard
    And client "bob" sees the tool "authenticate_jira"
    When client "alice" asks to sign in to "jira"
    And the user approves the sign-in in the browser
    Then client "bob" hears that its tools changed, its replica having started to connect them within 200 ms of the callback
    And client "bob" sees the tool "jira_whoami"

  @upstream-eras
  Scenario: A replica connects to a server with the protocol era another replica found, without probing it
    Given an upstream "weather" over Streamable HTTP with tools "echo"
    And switchboard is running
    And switchboard soon is connected to "weather"
    Then Redis holds the protocol era of "weather"
    When another replica starts on the same Redis
    Then the other replica connects to "weather" with the era from Redis, without probing it

  @modern-only
  Scenario: Fifty calls on two replicas that all find the token expired refresh it once between them
    Given switchboard is running
    And a second switchboard shares its Redis
    And client "alice" is connected
    And client "alice" has signed in to "jira"
    And client "bob" is connected to the second switchboard
    And client "bob" eventually sees the tool "jira_whoami"
    When the access tokens from "corp" expire
    And clients "alice" and "bob" call "jira_echo" 25 times each, all at once
    Then all 50 calls get their answer
    And "corp" refreshed the sign-in exactly once since the sign-in
    And "corp" saw no refresh token used twice
