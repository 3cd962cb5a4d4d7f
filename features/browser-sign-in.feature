Feature: Signing in with a real browser
  The person behind the agent signs in on the authorization server's own page; switchboard's callback page tells
  them whether it worked and that the window can be closed.

  Background:
    Given an authorization server "corp" with a sign-in form
    And a protected server "jira" behind "corp"
    And switchboard is running
    And a client is connected

  Scenario: The user signs in and the server's tools appear
    When the client asks to sign in to "jira"
    And the user signs in as "dana" in a browser
    Then the browser page says the sign-in worked
    And the client eventually sees the tool "jira_whoami"
    When the client calls "jira_whoami"
    Then the result mentions "dana"

  Scenario: The user refuses and nothing changes
    When the client asks to sign in to "jira"
    And the user refuses the sign-in in a browser
    Then the browser page says the sign-in failed with "access_denied"
    And the client still sees the tool "authenticate_jira"
