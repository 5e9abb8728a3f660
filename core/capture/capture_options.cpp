// SPDX-License-Identifier: Apache-2.0
#include "capture/capture_options.h"

namespace podtap {

QString captureToolKey(CaptureTool tool)
{
    switch (tool) {
    case CaptureTool::None:
        return QStringLiteral("none");
    case CaptureTool::Tshark:
        return QStringLiteral("tshark");
    case CaptureTool::Wireshark:
        return QStringLiteral("wireshark");
    }
    return QStringLiteral("none");
}

std::optional<CaptureTool> parseCaptureTool(const QString &text)
{
    for (const CaptureTool tool : {CaptureTool::None, CaptureTool::Tshark, CaptureTool::Wireshark}) {
        if (text == captureToolKey(tool)) {
            return tool;
        }
    }
    return std::nullopt;
}

QString captureToolDisplayName(CaptureTool tool)
{
    switch (tool) {
    case CaptureTool::None:
        return QStringLiteral("no capture tool");
    case CaptureTool::Tshark:
        return QStringLiteral("tshark");
    case CaptureTool::Wireshark:
        return QStringLiteral("Wireshark");
    }
    return {};
}

QStringList CaptureOptions::problems(bool tunnelEndsHere, bool userspaceReceiver) const
{
    QStringList problems;
    if (userspaceReceiver && tunnelEndsHere) {
        if (packetCount < 0) {
            problems << QStringLiteral("The packet count %1 must be 0 (no limit) or more.").arg(packetCount);
        }
        return problems;
    }
    // With the kernel interface only tshark runs under the session, so only it can write a file or stop at a count.
    if (!outputFile.isEmpty() && tool != Tool::Tshark) {
        problems << QStringLiteral("Writing the capture to a file needs tshark: choose tshark as the capture tool.");
    }
    if (packetCount < 0) {
        problems << QStringLiteral("The packet count %1 must be 0 (no limit) or more.").arg(packetCount);
    } else if (packetCount > 0 && tool != Tool::Tshark) {
        problems << QStringLiteral(
            "Stopping after a number of packets needs tshark: choose tshark as the capture tool.");
    }
    if (tool != Tool::None && !tunnelEndsHere) {
        problems << QStringLiteral("%1 can only run on this machine: send the tunnel to this machine, or capture "
                                   "with no tool.")
                        .arg(captureToolDisplayName(tool));
    }
    return problems;
}

} // namespace podtap
