// SPDX-License-Identifier: Apache-2.0
#include "capture/capture_launch.h"

#include "capture/capture_process.h"
#include "capture/pod_hosts_file.h"

#include <QProcess>

namespace podtap {

CaptureLaunchEnvironment CaptureLaunchEnvironment::detect()
{
    return CaptureLaunchEnvironment {findCaptureTools(), wiresharkPersonalConfigDir()};
}

CaptureCommand prepareCapture(const CaptureOptions &options, const CaptureLaunchEnvironment &environment)
{
    CaptureOptions effective = options;
    if (effective.tool == CaptureTool::Wireshark) {
        // Wireshark has no option for a hosts file: it reads the one in its profile.
        QString error;
        effective.useProfile = !effective.hostsFile.isEmpty() &&
            !installWiresharkProfile(environment.wiresharkConfigDir, effective.hostsFile, &error).isEmpty();
    }
    return buildCaptureCommand(effective, environment.tools);
}

CaptureCommand launchCapture(
    const CaptureOptions &options, CaptureProcess *process, const CaptureLaunchEnvironment &environment)
{
    CaptureCommand command = prepareCapture(options, environment);
    if (!command.ok()) {
        return command;
    }
    if (options.tool == CaptureTool::Wireshark) {
        if (!QProcess::startDetached(command.program, command.arguments)) {
            command.error = QStringLiteral("could not start %1; run it yourself.").arg(command.toString());
        }
        return command;
    }
    if (!process) {
        command.error = QStringLiteral("tshark needs a process to run in.");
        return command;
    }
    process->start(command);
    return command;
}

} // namespace podtap
