// SPDX-License-Identifier: Apache-2.0
#include "common/host_command.h"

#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

namespace podtap {

HostSandbox currentSandbox()
{
    // Read once: a process does not move into or out of a sandbox.
    static const HostSandbox sandbox =
        QFileInfo::exists(QStringLiteral("/.flatpak-info")) ? HostSandbox::Flatpak : HostSandbox::None;
    return sandbox;
}

HostCommand hostCommand(const QString &program, const QStringList &arguments, const QList<QPair<QString, QString>> &env,
    HostSandbox sandbox)
{
    if (sandbox == HostSandbox::None) {
        return HostCommand {program, arguments};
    }
    QStringList wrapped {QStringLiteral("--host"), QStringLiteral("--watch-bus")};
    for (const auto &[name, value] : env) {
        wrapped << QStringLiteral("--env=%1=%2").arg(name, value);
    }
    // "--" ends flatpak-spawn's own options, so a program or argument starting with "-" is not taken for one.
    wrapped << QStringLiteral("--") << program << arguments;
    return HostCommand {QStringLiteral("flatpak-spawn"), wrapped};
}

QString findOnHost(const QStringList &names, const QStringList &extraDirs, int timeoutMs, HostSandbox sandbox)
{
    if (sandbox == HostSandbox::None) {
        for (const QString &name : names) {
            QString found = QStandardPaths::findExecutable(name);
            if (found.isEmpty() && !extraDirs.isEmpty()) {
                found = QStandardPaths::findExecutable(name, extraDirs);
            }
            if (!found.isEmpty()) {
                return found;
            }
        }
        return {};
    }
    // The host's shell prints the first name its PATH (then the extra directories) has. Names and directories
    // are arguments, never part of the script.
    const HostCommand command = hostCommand(QStringLiteral("/bin/sh"),
        QStringList {QStringLiteral("-c"),
            QStringLiteral("PATH=\"$PATH:$1\"; shift; for name; do command -v \"$name\" && exit 0; done; exit 1"),
            QStringLiteral("sh"), extraDirs.join(QLatin1Char(':'))} +
            names,
        {}, sandbox);
    QProcess process;
    process.setStandardInputFile(QProcess::nullDevice());
    process.start(command.program, command.arguments, QIODevice::ReadOnly);
    if (!process.waitForStarted(timeoutMs) || !process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(1000);
        return {};
    }
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        return {};
    }
    const QString found = QString::fromLocal8Bit(process.readAllStandardOutput()).trimmed();
    // `command -v` prints a path for a program, but only a name for a shell builtin or function: not a program.
    return found.startsWith(QLatin1Char('/')) ? found : QString();
}

QString hostCommandHint(HostSandbox sandbox)
{
    if (sandbox == HostSandbox::None) {
        return {};
    }
    return QStringLiteral(
        " podtap runs in a Flatpak sandbox and starts this program on the host with `flatpak-spawn --host`: it must "
        "be installed on the host (on the PATH of your desktop session), and the app needs the permission "
        "--talk-name=org.freedesktop.Flatpak (`flatpak override --user --talk-name=org.freedesktop.Flatpak "
        "io.podtap.Podtap`).");
}

} // namespace podtap
