// SPDX-License-Identifier: Apache-2.0
#include "capture/capture_launch.h"

#include "capture/capture_process.h"
#include "capture/pod_hosts_file.h"
#include "common/host_command.h"

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
    // Inside a Flatpak the tools are the host's: they start through flatpak-spawn. The command returned stays the
    // plain one, which is what an operator types.
    const HostCommand host = hostCommand(command.program, command.arguments);
    if (options.tool == CaptureTool::Wireshark) {
        if (!QProcess::startDetached(host.program, host.arguments)) {
            command.error = QStringLiteral("could not start %1; run it yourself.").arg(command.toString());
        }
        return command;
    }
    if (!process) {
        command.error = QStringLiteral("tshark needs a process to run in.");
        return command;
    }
    CaptureCommand started = command;
    started.program = host.program;
    started.arguments = host.arguments;
    process->start(started);
    return command;
}

} // namespace podtap
