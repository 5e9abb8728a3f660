// SPDX-License-Identifier: Apache-2.0
#include "capture/capture_command.h"

#include "capture/capture_tools.h"
#include "capture/pod_hosts_file.h"
#include "common/names.h"

#include <QRegularExpression>

namespace podtap {

QString CaptureCommand::toString() const
{
    static const QRegularExpression safe(QStringLiteral("^[A-Za-z0-9_@%+=:,./-]+$"));
    QStringList words;
    for (const QString &word : QStringList {program} + arguments) {
        if (safe.match(word).hasMatch()) {
            words << word;
        } else {
            QString quoted = word;
            quoted.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
            words << QLatin1Char('\'') + quoted + QLatin1Char('\'');
        }
    }
    return words.join(QLatin1Char(' '));
}

CaptureCommand buildCaptureCommand(const CaptureOptions &options, const CaptureTools &tools)
{
    CaptureCommand command;
    if (options.tool == CaptureOptions::Tool::None) {
        command.error = QStringLiteral("no capture tool was chosen, so there is nothing to start.");
        return command;
    }
    const bool wireshark = options.tool == CaptureOptions::Tool::Wireshark;
    command.program = wireshark ? tools.wireshark : tools.tshark;
    if (command.program.isEmpty()) {
        command.error = wireshark
            ? QStringLiteral("Wireshark was not found on PATH or in the usual places; install it (`sudo apt install "
                             "wireshark`) or choose tshark.")
            : QStringLiteral(
                  "tshark was not found on PATH or in the usual places; install it (`sudo apt install tshark`).");
        return command;
    }
    if (!isInterfaceName(options.interfaceName)) {
        command.error = QStringLiteral("cannot capture on interface \"%1\": not a Linux interface name.")
                            .arg(options.interfaceName);
        return command;
    }
    if (options.packetCount < 0) {
        command.error = QStringLiteral("packet count %1 must be 0 (no limit) or more.").arg(options.packetCount);
        return command;
    }
    QStringList &args = command.arguments;
    if (wireshark) {
        args << QStringLiteral("-k");
    }
    args << QStringLiteral("-i") << options.interfaceName;
    if (!wireshark) {
        args << QStringLiteral("-l");
    }
    if (wireshark && options.useProfile) {
        args << QStringLiteral("-N") << QStringLiteral("n") << QStringLiteral("-C")
             << QLatin1String(kWiresharkProfileName);
    } else if (!wireshark && !options.hostsFile.isEmpty()) {
        args << QStringLiteral("-N") << QStringLiteral("n") << QStringLiteral("-H") << options.hostsFile;
    }
    if (!options.outputFile.isEmpty()) {
        args << QStringLiteral("-w") << options.outputFile;
        if (!wireshark) {
            args << QStringLiteral("-P");
        }
    }
    if (options.packetCount > 0) {
        args << QStringLiteral("-c") << QString::number(options.packetCount);
    }
    return command;
}

} // namespace podtap
