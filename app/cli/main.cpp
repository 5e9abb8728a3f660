// SPDX-License-Identifier: Apache-2.0
#include "commands.h"

#include "podtap/version.h"

#include <QCoreApplication>
#include <QTextStream>

#include <cstring>

namespace {

void printUsage(QTextStream &out)
{
    out << "podtapctl: capture a Kubernetes pod's traffic from the command line\n\n"
        << "Usage: podtapctl [--help] [--version] COMMAND [ARGS...]\n\n";
    const auto commands = podtap::cli::commands();
    if (commands.empty()) {
        out << "No commands are available in this build yet.\n";
    } else {
        out << "Commands:\n";
        for (const auto &command : commands) {
            out << QStringLiteral("  %1 %2\n")
                       .arg(QLatin1String(command.name), -12)
                       .arg(QLatin1String(command.summary));
        }
        out << "\nRun 'podtapctl COMMAND --help' for a command's options.\n";
    }
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("podtapctl"));
    QCoreApplication::setApplicationVersion(QLatin1String(podtap::kVersion));

    QTextStream out(stdout);
    QTextStream err(stderr);
    QStringList args = QCoreApplication::arguments().mid(1);
    if (args.isEmpty() || args.first() == QLatin1String("--help") || args.first() == QLatin1String("-h") ||
        args.first() == QLatin1String("help")) {
        printUsage(args.isEmpty() ? err : out);
        return args.isEmpty() ? 2 : 0;
    }
    if (args.first() == QLatin1String("--version") || args.first() == QLatin1String("version")) {
        out << "podtapctl " << podtap::kVersion << "\n";
        return 0;
    }
    // kubectl lets connection flags stand before the subcommand; hand them to the command as if
    // they followed it.
    QStringList leading;
    while (!args.isEmpty() && args.first().startsWith(QLatin1Char('-'))) {
        const QString flag = args.takeFirst();
        leading << flag;
        static const QStringList withValue {QStringLiteral("--kubeconfig"), QStringLiteral("--context"),
            QStringLiteral("-n"), QStringLiteral("--namespace")};
        if (withValue.contains(flag) && !args.isEmpty()) {
            leading << args.takeFirst();
        }
    }
    if (args.isEmpty()) {
        err << "podtapctl: no command given after " << leading.join(QLatin1Char(' '))
            << ". Run 'podtapctl --help' for the list of commands.\n";
        return 2;
    }
    const QString name = args.takeFirst();
    args = leading + args;
    for (const auto &command : podtap::cli::commands()) {
        if (name == QLatin1String(command.name)) {
            return command.run(args);
        }
    }
    err << "podtapctl: unknown command '" << name << "'. Run 'podtapctl --help' for the list of commands.\n";
    return 2;
}
