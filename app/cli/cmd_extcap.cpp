// SPDX-License-Identifier: Apache-2.0
// podtapctl extcap install|uninstall: makes Wireshark list Kubernetes pods as capture interfaces.
#include "cli_support.h"
#include "commands.h"

#include "capture/extcap_install.h"

#include <QCoreApplication>
#include <QDir>
#include <QProcessEnvironment>

namespace podtap::cli {

int runExtcapCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Install or remove podtap's Wireshark extcap, which lists \"Kubernetes pod (podtap)\" among "
                       "Wireshark's capture interfaces.\n"
                       "install: links podtap-extcap into Wireshark's personal extcap folders (Wireshark 4.0: "
                       "~/.config/wireshark/extcap, 4.2 and later: ~/.local/lib/wireshark/extcap).\n"
                       "uninstall: removes those links (only links podtap made)."));
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("install or uninstall"));
    const QCommandLineOption dirOpt(QStringLiteral("dir"),
        QStringLiteral("Use only this extcap folder (e.g. the one `tshark -G folders` names)."), QStringLiteral("dir"));
    parser.addOption(dirOpt);
    if (const auto code = parse(parser, args, QStringLiteral("extcap"))) {
        return *code;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1 ||
        (positional.first() != QLatin1String("install") && positional.first() != QLatin1String("uninstall"))) {
        return usageError(QStringLiteral("give exactly one action: install or uninstall"), QStringLiteral("extcap"));
    }
    const QStringList folders = parser.isSet(dirOpt)
        ? QStringList {QDir(parser.value(dirOpt)).absolutePath()}
        : personalExtcapFolders(QDir::homePath(), QProcessEnvironment::systemEnvironment());

    ExtcapInstallResult result;
    if (positional.first() == QLatin1String("install")) {
        const QString extcap = findExtcapExecutable(QCoreApplication::applicationDirPath());
        if (extcap.isEmpty()) {
            err() << "podtapctl extcap: podtap-extcap was not found next to podtapctl, in ../libexec/podtap or in the "
                     "build tree; set PODTAP_EXTCAP to its path, or reinstall podtap.\n";
            err().flush();
            return 1;
        }
        result = installExtcapLinks(extcap, folders);
        for (const QString &line : result.changed + result.unchanged) {
            out() << "installed: " << line << "\n";
        }
        if (!parser.isSet(dirOpt)) {
            out() << "Wireshark 4.0 and 4.1 read " << folders.at(0) << ", 4.2 and later " << folders.at(1) << ".\n";
        }
        if (result.ok()) {
            out() << "Restart Wireshark (or press F5 in its interface list): \"Kubernetes pod (podtap)\" is listed "
                     "as interface podtap.\n";
        }
    } else {
        result = uninstallExtcapLinks(folders);
        for (const QString &line : result.changed + result.unchanged) {
            out() << line << "\n";
        }
    }
    out().flush();
    for (const QString &error : result.errors) {
        err() << "podtapctl extcap: " << error << "\n";
    }
    err().flush();
    return result.ok() ? 0 : 1;
}

} // namespace podtap::cli
