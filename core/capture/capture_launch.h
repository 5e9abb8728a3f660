// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "capture/capture_command.h"
#include "capture/capture_tools.h"

namespace podtap {

class CaptureProcess;

/// @brief Where a launch looks for the capture programs and Wireshark's configuration; detect()
/// reads this machine, a test names its own.
struct CaptureLaunchEnvironment
{
    CaptureTools tools;
    QString wiresharkConfigDir; ///< Wireshark's personal configuration directory (holds the podtap profile)

    static CaptureLaunchEnvironment detect();
};

/// Builds the command for @p options the one way podtap starts a capture tool, so every launch
/// names pods: Wireshark with a hosts file first gets it installed as the podtap profile and starts
/// with `-N n -C podtap`; tshark reads the hosts file with `-H`. Writes the profile, starts nothing.
CaptureCommand prepareCapture(const CaptureOptions &options, const CaptureLaunchEnvironment &environment);

/// Starts the capture @p options asks for, through prepareCapture(). Wireshark starts detached:
/// it is the operator's window and outlives the tap with its capture. tshark starts in @p process,
/// which the caller has connected (its lines, counts and end) and owns; @p process may be null for
/// Wireshark. Returns the command; its error names what could not start and how to start it by hand.
CaptureCommand launchCapture(const CaptureOptions &options, CaptureProcess *process,
    const CaptureLaunchEnvironment &environment = CaptureLaunchEnvironment::detect());

} // namespace podtap
