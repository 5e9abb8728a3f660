// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QString>
#include <QStringList>

namespace podtap {

struct CaptureTools;

/// @brief What to capture and how to show it.
struct CaptureOptions
{
    enum class Tool { Wireshark, Tshark };

    Tool tool = Tool::Tshark;
    QString interfaceName; ///< e.g. ptap<vni>
    QString outputFile; ///< write a pcapng file here; empty: no file
    int packetCount = 0; ///< stop after this many packets; 0: until stopped
    QString hostsFile; ///< tshark: pod names file, passed with -H
    bool useProfile = false; ///< wireshark: start with the podtap profile (-C podtap)
};

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
CaptureCommand buildCaptureCommand(const CaptureOptions &options, const CaptureTools &tools);

} // namespace podtap
