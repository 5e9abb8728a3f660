// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace podtap {

/// @brief The program that shows or records a tap's packets on this machine.
enum class CaptureTool { None, Tshark, Wireshark };

/// "none", "tshark" or "wireshark": the spelling of `podtapctl tap --capture` and the console's settings.
QString captureToolKey(CaptureTool tool);
/// Reads captureToolKey()'s spelling; nullopt for anything else.
std::optional<CaptureTool> parseCaptureTool(const QString &text);
/// "Wireshark", "tshark" or "no capture tool", for sentences.
QString captureToolDisplayName(CaptureTool tool);

/// @brief What to capture and how to show it: the one description of a capture that the console's
/// tap dialog, `podtapctl tap` and the session share.
///
/// The operator's choice is tool, outputFile and packetCount; the session fills interfaceName and
/// hostsFile when the mirror is up.
struct CaptureOptions
{
    using Tool = CaptureTool;

    Tool tool = Tool::None;
    QString interfaceName; ///< e.g. ptap<vni>
    QString outputFile; ///< write a pcapng file here; empty: no file
    qint64 packetCount = 0; ///< stop after this many packets; 0: until stopped
    QString hostsFile; ///< pod names (`IP<TAB>ns/pod`); tshark reads it with -H, Wireshark through its profile
    bool useProfile = false; ///< wireshark: start with the podtap profile (-C podtap); set by launchCapture()

    /// Every reason these options cannot be used, each a full sentence with its fix; empty when
    /// they can. @p tunnelEndsHere: the tap's destination is this machine, where a tool can open
    /// the tunnel's interface. @p userspaceReceiver: the tunnel ends in podtap's own receiver, which
    /// writes the file and counts packets itself, so neither needs tshark.
    QStringList problems(bool tunnelEndsHere, bool userspaceReceiver = false) const;
};

} // namespace podtap
