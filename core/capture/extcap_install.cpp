// SPDX-License-Identifier: Apache-2.0
#include "capture/extcap_install.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace podtap {

namespace {

QString linkName()
{
    return QString::fromLatin1(kExtcapProgramName);
}

// A link this installer made points at a file named podtap-extcap; anything else belongs to someone else.
bool isOurLink(const QFileInfo &info)
{
    return info.isSymLink() && QFileInfo(info.symLinkTarget()).fileName() == linkName();
}

} // namespace

QString findExtcapExecutable(const QString &applicationDir)
{
    const QString fromEnvironment = qEnvironmentVariable("PODTAP_EXTCAP");
    if (!fromEnvironment.isEmpty()) {
        return QFileInfo(fromEnvironment).isExecutable() ? QFileInfo(fromEnvironment).absoluteFilePath() : QString();
    }
    const QDir dir(applicationDir);
    const QStringList candidates {dir.filePath(linkName()),
        dir.filePath(QStringLiteral("../libexec/podtap/") + linkName()),
        // The build tree: podtapctl in app/cli, the console in app/gui, the extcap in app/extcap.
        dir.filePath(QStringLiteral("../extcap/") + linkName())};
    for (const QString &candidate : candidates) {
        const QFileInfo info(candidate);
        if (info.isFile() && info.isExecutable()) {
            return info.canonicalFilePath();
        }
    }
    return {};
}

QStringList personalExtcapFolders(const QString &home, const QProcessEnvironment &environment)
{
    QString configHome = environment.value(QStringLiteral("XDG_CONFIG_HOME"));
    if (configHome.isEmpty() || !QDir::isAbsolutePath(configHome)) {
        configHome = QDir(home).filePath(QStringLiteral(".config"));
    }
    return {QDir(configHome).filePath(QStringLiteral("wireshark/extcap")),
        QDir(home).filePath(QStringLiteral(".local/lib/wireshark/extcap"))};
}

QString ExtcapInstallResult::summary() const
{
    QStringList lines;
    for (const QString &path : changed) {
        lines << path;
    }
    for (const QString &path : unchanged) {
        lines << path;
    }
    lines << errors;
    return lines.join(QLatin1Char('\n'));
}

ExtcapInstallResult installExtcapLinks(const QString &extcap, const QStringList &folders)
{
    ExtcapInstallResult result;
    for (const QString &folder : folders) {
        const QString path = QDir(folder).filePath(linkName());
        if (!QDir().mkpath(folder)) {
            result.errors << QStringLiteral("Cannot create the folder %1 for the podtap extcap: check its parent's "
                                            "permissions, or pass --dir with a folder Wireshark reads.")
                                 .arg(folder);
            continue;
        }
        const QFileInfo existing(path);
        if (existing.exists() || existing.isSymLink()) {
            if (!isOurLink(existing)) {
                result.errors << QStringLiteral("%1 exists and is not a podtap link; left as it is. Remove it if it "
                                                "is an old copy of podtap-extcap, then install again.")
                                     .arg(path);
                continue;
            }
            if (existing.symLinkTarget() == extcap) {
                result.unchanged << QStringLiteral("%1 already links to %2").arg(path, extcap);
                continue;
            }
            if (!QFile::remove(path)) {
                result.errors
                    << QStringLiteral("Cannot replace the old link %1: check the folder's permissions.").arg(path);
                continue;
            }
        }
        if (!QFile::link(extcap, path)) {
            result.errors
                << QStringLiteral("Cannot create the link %1 -> %2: check the folder's permissions.").arg(path, extcap);
            continue;
        }
        result.changed << QStringLiteral("%1 -> %2").arg(path, extcap);
    }
    return result;
}

ExtcapInstallResult uninstallExtcapLinks(const QStringList &folders)
{
    ExtcapInstallResult result;
    for (const QString &folder : folders) {
        const QString path = QDir(folder).filePath(linkName());
        const QFileInfo existing(path);
        if (!existing.exists() && !existing.isSymLink()) {
            result.unchanged << QStringLiteral("%1: nothing to remove").arg(path);
            continue;
        }
        if (!isOurLink(existing)) {
            result.errors << QStringLiteral("%1 is not a link podtap made; left as it is (remove it by hand if you "
                                            "copied podtap-extcap there).")
                                 .arg(path);
            continue;
        }
        if (!QFile::remove(path)) {
            result.errors << QStringLiteral("Cannot remove %1: check the folder's permissions.").arg(path);
            continue;
        }
        result.changed << QStringLiteral("%1 removed").arg(path);
    }
    return result;
}

} // namespace podtap
