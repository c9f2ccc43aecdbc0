# Send-SmtpMessage -CalendarEvent: iMIP invitations (RFC 6047) as the shared SMTP test server received them, read by
# independent verifiers: Python's email package for the MIME structure, Debian's python3-icalendar for the event.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'TestSmtpServer.ps1')
    . (Join-Path $PSScriptRoot 'DebianPackages.ps1')
    Install-DebianPackage -Name python3, python3-icalendar
    $script:Python = '/usr/bin/python3'
    $script:Reader = Join-Path $PSScriptRoot 'verifiers/read_invitation.py'

    function script:Read-Invitation {
        # The transaction's message as received (dot-stuffing undone), read by Python: the event as JSON.
        param([Parameter(Mandatory)] $Transaction)
        $file = Join-Path $TestDrive "received-$([guid]::NewGuid().ToString('N')).eml"
        [System.IO.File]::WriteAllBytes($file, (ConvertFrom-SmtpData $Transaction.RawData))
        $json = & $Python $Reader $file 2>&1
        if ($LASTEXITCODE -ne 0) { throw "read_invitation.py failed: $json" }
        $json | ConvertFrom-Json -DateKind String
    }


    $script:Start = [DateTimeOffset]::new(2026, 12, 10, 9, 0, 0, [TimeSpan]::Zero)
}

Describe 'Send-SmtpMessage -CalendarEvent' {
    BeforeEach {
        $script:Server = Start-TestSmtpServer
        $script:Config = New-SmtpHandlerConfig -SmtpServer 127.0.0.1 -Port $Server.Port
    }
    AfterEach { $Server.Dispose() }

    It 'sends a REQUEST in UTC that python3-icalendar reads back: method, uid, times, organizer, attendees, reminder' {
        $event = @{
            Summary = 'Maintenance: db01, db02; reboot'
            Description = "Patches.`nBack by 11:00."
            Location = 'Room 1, Building "A"'
            Start = $Start
            End = $Start.AddHours(2)
            Organizer = 'Ops Team <ops@example.test>'
            Uid = 'maint-2026-12-10@example.test'
            Reminder = 15
        }
        $result = Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'Ann Example <ann@example.test>', 'bob@example.test' -Cc 'carl@example.test' -Subject 'Maintenance window' -Body 'See the invitation.' -CalendarEvent $event
        $result.Status | Should -Be 'Sent'

        $ics = Read-Invitation $Server.Delivered[0]
        $ics.container | Should -Be 'multipart/alternative'
        $ics.siblings | Should -Be @('text/plain', 'text/calendar')
        $ics.method_param | Should -Be 'REQUEST'
        $ics.charset | Should -Be 'utf-8'
        $ics.METHOD | Should -Be 'REQUEST'
        $ics.UID | Should -Be 'maint-2026-12-10@example.test'
        $ics.SEQUENCE | Should -Be 0
        $ics.STATUS | Should -Be 'CONFIRMED'
        $ics.SUMMARY | Should -Be 'Maintenance: db01, db02; reboot'
        $ics.DESCRIPTION | Should -Be "Patches.`nBack by 11:00."
        $ics.LOCATION | Should -Be 'Room 1, Building "A"'
        $ics.DTSTART.utc | Should -Be '2026-12-10T09:00:00Z'
        $ics.DTEND.utc | Should -Be '2026-12-10T11:00:00Z'
        $ics.ORGANIZER | Should -Be 'mailto:ops@example.test'
        $ics.ORGANIZER_CN | Should -Be 'Ops Team'
        $ics.ATTENDEE.value | Should -Be @('mailto:ann@example.test', 'mailto:bob@example.test', 'mailto:carl@example.test')
        $ics.ATTENDEE[0].cn | Should -Be 'Ann Example'
        $ics.ATTENDEE.role | Should -Be @('REQ-PARTICIPANT', 'REQ-PARTICIPANT', 'OPT-PARTICIPANT')
        $ics.ATTENDEE.partstat | Should -Be @('NEEDS-ACTION', 'NEEDS-ACTION', 'NEEDS-ACTION')
        $ics.ATTENDEE.rsvp | Should -Be @('TRUE', 'TRUE', 'TRUE')
        $ics.TRIGGER | Should -Be @('-PT15M')
    }

    It 'writes times in a time zone given by its IANA id with a TZID and a VTIMEZONE' {
        $event = @{
            Summary = 'Patch night'
            Start = [datetime]'2026-07-01 22:00'
            End = [datetime]'2026-07-01 23:30'
            TimeZone = 'Europe/Berlin'
            Organizer = 'ops@example.test'
            Uid = 'patch-night@example.test'
        }
        Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Patch night' -Body 'x' -CalendarEvent $event | Out-Null

        $ics = Read-Invitation $Server.Delivered[0]
        $zone = [TimeZoneInfo]::FindSystemTimeZoneById('Europe/Berlin')
        $ics.DTSTART.tzid | Should -Be $zone.Id
        $ics.TIMEZONES | Should -Be @($zone.Id)
        # 22:00 in Berlin in July (CEST, +02:00) is 20:00 UTC.
        $ics.DTSTART.iso | Should -Be '2026-07-01T22:00:00+02:00'
        $ics.DTSTART.utc | Should -Be '2026-07-01T20:00:00Z'
        $ics.DTEND.utc | Should -Be '2026-07-01T21:30:00Z'
    }

    It 'takes a TimeZoneInfo and a Windows id alike' {
        $event = @{ Start = [datetime]'2026-01-15 09:00'; End = [datetime]'2026-01-15 10:00'; TimeZone = 'Eastern Standard Time'; Organizer = 'ops@example.test'; Uid = 'win@example.test' }
        Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Windows id' -Body 'x' -CalendarEvent $event | Out-Null
        (Read-Invitation $Server.Delivered[0]).DTSTART.utc | Should -Be '2026-01-15T14:00:00Z'

        $event.TimeZone = [TimeZoneInfo]::FindSystemTimeZoneById('Asia/Tokyo')
        Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Object' -Body 'x' -CalendarEvent $event | Out-Null
        (Read-Invitation $Server.Delivered[1]).DTSTART.utc | Should -Be '2026-01-15T00:00:00Z'
    }

    It 'withdraws the event with a CANCEL of the same Uid and a higher sequence' {
        $event = @{ Summary = 'Maintenance'; Start = $Start; End = $Start.AddHours(1); Organizer = 'ops@example.test'; Uid = 'maint-42@example.test' }
        Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Maintenance' -Body 'x' -CalendarEvent $event | Out-Null
        $event.Method = 'CANCEL'
        Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'ann@example.test' -Subject 'Cancelled: Maintenance' -Body 'x' -CalendarEvent $event | Out-Null

        $request = Read-Invitation $Server.Delivered[0]
        $cancel = Read-Invitation $Server.Delivered[1]
        $cancel.method_param | Should -Be 'CANCEL'
        $cancel.METHOD | Should -Be 'CANCEL'
        $cancel.STATUS | Should -Be 'CANCELLED'
        $cancel.UID | Should -Be $request.UID
        $cancel.SEQUENCE | Should -BeGreaterThan $request.SEQUENCE
    }

    It 'lists the given attendees and puts the calendar beside an HTML body too' {
        $event = [pscustomobject]@{ Start = $Start; End = $Start.AddMinutes(30); Organizer = 'ops@example.test'; Attendees = 'Dora <dora@example.test>', 'eve@example.test'; Uid = 'given@example.test' }
        Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'list@example.test' -Subject 'Standup' -Body 'text' -HtmlBody '<p>html</p>' -CalendarEvent $event | Out-Null

        $ics = Read-Invitation $Server.Delivered[0]
        $ics.siblings | Should -Be @('text/plain', 'text/html', 'text/calendar')
        $ics.ATTENDEE.value | Should -Be @('mailto:dora@example.test', 'mailto:eve@example.test')
        $ics.SUMMARY | Should -Be 'Standup'
    }

    It 'refuses <Case> with <ErrorId> before connecting' -ForEach @(
        @{ Case = 'an End before the Start'; ErrorId = 'CalendarEventEndBeforeStart'; Change = { param($e) $e.End = $e.Start.AddHours(-1) } }
        @{ Case = 'no Organizer'; ErrorId = 'CalendarEventNoOrganizer'; Change = { param($e) $e.Remove('Organizer') } }
        @{ Case = 'an unknown key'; ErrorId = 'CalendarEventUnknownKey'; Change = { param($e) $e.Room = '1' } }
        @{ Case = 'a Method other than REQUEST or CANCEL'; ErrorId = 'CalendarEventInvalidMethod'; Change = { param($e) $e.Method = 'PUBLISH' } }
        @{ Case = 'a CANCEL without Uid'; ErrorId = 'CalendarEventCancelNeedsUid'; Change = { param($e) $e.Method = 'CANCEL' } }
        @{ Case = 'an unknown time zone'; ErrorId = 'UnknownTimeZone'; Change = { param($e) $e.TimeZone = 'Mars/Olympus' } }
        @{ Case = 'no Start'; ErrorId = 'CalendarEventNoStart'; Change = { param($e) $e.Remove('Start') } }
        @{ Case = 'a negative reminder'; ErrorId = 'CalendarEventInvalidReminder'; Change = { param($e) $e.Reminder = -5 } }
    ) {
        $event = @{ Start = $Start; End = $Start.AddHours(1); Organizer = 'ops@example.test' }
        & $Change $event
        $thrown = { Send-SmtpMessage -Config $Config -From 'ops@example.test' -To 'ann@example.test' -Subject 's' -Body 'b' -CalendarEvent $event } |
            Should -Throw -ErrorId "$ErrorId,SmtpHandler.Commands.SendSmtpMessageCommand" -PassThru
        $thrown.Exception.Message | Should -Match '-CalendarEvent'
        $Server.Connections | Should -Be 0
    }
}
