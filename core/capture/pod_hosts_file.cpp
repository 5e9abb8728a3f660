// SPDX-License-Identifier: Apache-2.0
#include "capture/pod_hosts_file.h"

#include "common/names.h"

#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QMap>
#include <QSaveFile>

namespace podtap {

QByteArray podHostsFileContent(const QList<PodAddress> &pods)
{
    // Keyed by the canonical address so 2001:db8::1 and 2001:DB8:0::1 count as one.
    QMap<QString, QString> names;
    for (const PodAddress &pod : pods) {
        if (!isIpLiteral(pod.ip) || !isDnsLabel(pod.namespaceName) || !isDnsSubdomain(pod.podName)) {
            continue;
        }
        const QString ip = QHostAddress(pod.ip).toString();
        if (!names.contains(ip)) {
            names.insert(ip, pod.namespaceName + QLatin1Char('/') + pod.podName);
        }
    }
    QByteArray text = "# Written by podtap: pod IPs as namespace/pod. Rewritten on every tap.\n";
    for (auto it = names.cbegin(); it != names.cend(); ++it) {
        text += it.key().toLatin1() + '\t' + it.value().toLatin1() + '\n';
    }
    return text;
}

bool writePodHostsFile(const QString &path, const QList<PodAddress> &pods, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(podHostsFileContent(pods)) < 0 || !file.commit()) {
        if (error) {
            *error = QStringLiteral("cannot write the pod names file %1: %2. Pod IPs will show without names; "
                                    "check that the directory is writable.")
                         .arg(path, file.errorString());
        }
        return false;
    }
    return true;
}

QString wiresharkPersonalConfigDir()
{
    const QString explicitDir = qEnvironmentVariable("WIRESHARK_CONFIG_DIR");
    if (!explicitDir.isEmpty()) {
        return explicitDir;
    }
    const QString xdg = qEnvironmentVariable("XDG_CONFIG_HOME");
    if (!xdg.isEmpty()) {
        return QDir(xdg).filePath(QStringLiteral("wireshark"));
    }
    return QDir::home().filePath(QStringLiteral(".config/wireshark"));
}

namespace {

QString profileDirectory(const QString &configDir, QString *error)
{
    const QString profileDir =
        QDir(configDir).filePath(QStringLiteral("profiles/") + QLatin1String(kWiresharkProfileName));
    if (!QDir().mkpath(profileDir)) {
        if (error) {
            *error = QStringLiteral("cannot create the Wireshark profile directory %1; check that %2 is writable.")
                         .arg(profileDir, configDir);
        }
        return {};
    }
    return profileDir;
}

} // namespace

QString writeWiresharkProfile(const QString &configDir, const QList<PodAddress> &pods, QString *error)
{
    const QString profileDir = profileDirectory(configDir, error);
    if (profileDir.isEmpty() || !writePodHostsFile(QDir(profileDir).filePath(QStringLiteral("hosts")), pods, error)) {
        return {};
    }
    return profileDir;
}

QString installWiresharkProfile(const QString &configDir, const QString &hostsFile, QString *error)
{
    QFile source(hostsFile);
    if (!source.open(QIODevice::ReadOnly)) {
        if (error) {
            *error = QStringLiteral("cannot read the pod names file %1: %2. Pod IPs will show without names.")
                         .arg(hostsFile, source.errorString());
        }
        return {};
    }
    const QByteArray content = source.readAll();
    const QString profileDir = profileDirectory(configDir, error);
    if (profileDir.isEmpty()) {
        return {};
    }
    const QString path = QDir(profileDir).filePath(QStringLiteral("hosts"));
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(content) < 0 || !file.commit()) {
        if (error) {
            *error = QStringLiteral("cannot write the Wireshark profile's hosts file %1: %2. Pod IPs will show "
                                    "without names; check that the directory is writable.")
                         .arg(path, file.errorString());
        }
        return {};
    }
    return profileDir;
}

} // namespace podtap
