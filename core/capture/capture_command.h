// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "capture/capture_options.h"

#include <QString>
#include <QStringList>

namespace podtap {

struct CaptureTools;

/// @brief A program and its arguments, ready for QProcess (never through a shell).
struct CaptureCommand
{
    QString program;
    QStringList arguments;
    QString error; ///< set when the command cannot be built (tool missing, bad interface name)

    bool ok() const { return error.isEmpty(); }
    QString toString() const; ///< for logs and the "copy command" button, shell-quoted
};

/// Builds `wireshark -k -i IF [-N n -C podtap] [-w FILE] [-c N]` or
/// `tshark -i IF -l [-N n -H HOSTS] [-w FILE -P] [-c N]`.
///
/// With -w, tshark keeps printing packet lines (-P) so the console still shows and counts them.
/// -N n turns on network name resolution, which is what makes the hosts file show pod names;
/// it resolves from the hosts file first and costs nothing else on a tunnel with only pod IPs.
/// Fails for CaptureTool::None: there is nothing to run.
CaptureCommand buildCaptureCommand(const CaptureOptions &options, const CaptureTools &tools);

} // namespace podtap
