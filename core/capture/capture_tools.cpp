// SPDX-License-Identifier: Apache-2.0
#include "capture/capture_tools.h"

#include "common/host_command.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <grp.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <vector>

namespace podtap {
namespace {

bool isExecutableFile(const QString &path)
{
    const QFileInfo info(path);
    return info.isFile() && info.isExecutable();
}

// dumpcap needs CAP_NET_RAW and CAP_NET_ADMIN in its permitted set with the effective bit set:
// that is what `setcap cap_net_raw,cap_net_admin+eip` (and dpkg-reconfigure wireshark-common) gives.
bool hasCaptureFileCapabilities(const QByteArray &path)
{
    vfs_ns_cap_data data {};
    const ssize_t size = getxattr(path.constData(), "security.capability", &data, sizeof(data));
    if (size < ssize_t(sizeof(quint32) * 3)) {
        return false;
    }
    const quint32 magic = data.magic_etc;
    if (!(magic & VFS_CAP_FLAGS_EFFECTIVE)) {
        return false;
    }
    const quint32 permitted = data.data[0].permitted;
    const quint32 wanted = (1u << CAP_NET_RAW) | (1u << CAP_NET_ADMIN);
    return (permitted & wanted) == wanted;
}

bool userInGroup(gid_t gid)
{
    if (getegid() == gid) {
        return true;
    }
    const int count = getgroups(0, nullptr);
    if (count <= 0) {
        return false;
    }
    std::vector<gid_t> groups(static_cast<size_t>(count));
    const int got = getgroups(count, groups.data());
    for (int i = 0; i < got; ++i) {
        if (groups[size_t(i)] == gid) {
            return true;
        }
    }
    return false;
}

} // namespace

QStringList usualCaptureToolDirs()
{
    return QStringList {
        QStringLiteral("/usr/bin"),
        QStringLiteral("/usr/local/bin"),
        QStringLiteral("/usr/sbin"),
        QStringLiteral("/snap/bin"),
        QStringLiteral("/var/lib/flatpak/exports/bin"),
        QDir::homePath() + QStringLiteral("/.local/share/flatpak/exports/bin"),
        QStringLiteral("/Applications/Wireshark.app/Contents/MacOS"),
    };
}

QString findExecutable(const QString &name, const QStringList &pathDirs, const QStringList &extraDirs)
{
    for (const QStringList *dirs : {&pathDirs, &extraDirs}) {
        for (const QString &dir : *dirs) {
            if (dir.isEmpty()) {
                continue;
            }
            const QString candidate = QDir(dir).filePath(name);
            if (isExecutableFile(candidate)) {
                return QFileInfo(candidate).absoluteFilePath();
            }
        }
    }
    return {};
}

CaptureTools findCaptureTools()
{
    if (currentSandbox() == HostSandbox::Flatpak) {
        // A Flatpak sandbox has no Wireshark: the host's runs through flatpak-spawn (capture_launch, LocalCapture).
        const QStringList extra = usualCaptureToolDirs();
        return CaptureTools {
            findOnHost(
                {QStringLiteral("wireshark"), QStringLiteral("Wireshark"), QStringLiteral("org.wireshark.Wireshark")},
                extra),
            findOnHost({QStringLiteral("tshark")}, extra),
            findOnHost({QStringLiteral("dumpcap")}, extra),
        };
    }
    const QStringList pathDirs = qEnvironmentVariable("PATH").split(QLatin1Char(':'), Qt::SkipEmptyParts);
    const QStringList extra = usualCaptureToolDirs();
    CaptureTools tools;
    tools.wireshark = findExecutable(QStringLiteral("wireshark"), pathDirs, extra);
    if (tools.wireshark.isEmpty()) {
        tools.wireshark = findExecutable(QStringLiteral("Wireshark"), pathDirs, extra);
    }
    if (tools.wireshark.isEmpty()) {
        tools.wireshark = findExecutable(QStringLiteral("org.wireshark.Wireshark"), pathDirs, extra);
    }
    tools.tshark = findExecutable(QStringLiteral("tshark"), pathDirs, extra);
    tools.dumpcap = findExecutable(QStringLiteral("dumpcap"), pathDirs, extra);
    return tools;
}

CaptureRightsFacts captureRightsFacts(const QString &dumpcapPath)
{
    CaptureRightsFacts facts;
    facts.dumpcapPath = dumpcapPath;
    facts.isRoot = geteuid() == 0;
    if (dumpcapPath.isEmpty()) {
        return facts;
    }
    const QByteArray path = QFile::encodeName(dumpcapPath);
    facts.executable = access(path.constData(), X_OK) == 0;
    struct stat st
    {
    };
    if (stat(path.constData(), &st) == 0) {
        facts.setuidRoot = (st.st_mode & S_ISUID) && st.st_uid == 0;
        if (const group *g = getgrgid(st.st_gid)) {
            facts.fileGroup = QString::fromLocal8Bit(g->gr_name);
        }
        facts.inFileGroup = userInGroup(st.st_gid);
    }
    facts.hasFileCapabilities = hasCaptureFileCapabilities(path);
    return facts;
}

CaptureRights evaluateCaptureRights(const CaptureRightsFacts &facts)
{
    CaptureRights rights;
    if (facts.dumpcapPath.isEmpty()) {
        rights.problem = QStringLiteral("dumpcap was not found, so Wireshark and tshark cannot capture.");
        rights.fix =
            QStringLiteral("install Wireshark's command-line tools: `sudo apt install tshark` (Debian/Ubuntu), "
                           "`sudo dnf install wireshark-cli` (Fedora), or Wireshark from wireshark.org (macOS).");
        return rights;
    }
    if (facts.isRoot) {
        rights.canCapture = true;
        return rights;
    }
    const QString addToGroup =
        QStringLiteral("sudo usermod -aG %1 $USER")
            .arg(facts.fileGroup.isEmpty() || facts.fileGroup == QLatin1String("root") ? QStringLiteral("wireshark")
                                                                                       : facts.fileGroup);
    if (!facts.executable) {
        rights.problem =
            QStringLiteral("You may not run %1 (it belongs to group %2, which you are not in), so captures "
                           "cannot start.")
                .arg(facts.dumpcapPath, facts.fileGroup.isEmpty() ? QStringLiteral("?") : facts.fileGroup);
        rights.fix = QStringLiteral("`%1`, then log out and back in (or run `newgrp %2`).")
                         .arg(addToGroup, facts.fileGroup.isEmpty() ? QStringLiteral("wireshark") : facts.fileGroup);
        return rights;
    }
    if (facts.hasFileCapabilities || facts.setuidRoot) {
        rights.canCapture = true;
        return rights;
    }
    rights.problem = QStringLiteral("%1 has no capture rights (no cap_net_raw,cap_net_admin file capabilities and not "
                                    "setuid), and you are not root, so it cannot open the tap interface.")
                         .arg(facts.dumpcapPath);
    rights.fix =
        QStringLiteral("on Debian/Ubuntu: `sudo dpkg-reconfigure wireshark-common` (answer Yes) and `%1`, then "
                       "log in again; elsewhere: `sudo setcap cap_net_raw,cap_net_admin+eip %2`.")
            .arg(addToGroup, facts.dumpcapPath);
    return rights;
}

CaptureRights checkCaptureRights(const QString &dumpcapPath)
{
    return evaluateCaptureRights(captureRightsFacts(dumpcapPath));
}

} // namespace podtap
