// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace podtap {

/// @brief One pod address for name resolution: Wireshark shows @c ip as "namespace/pod".
struct PodAddress
{
    QString ip;
    QString namespaceName;
    QString podName;

    bool operator==(const PodAddress &) const = default;
};

/// Profile podtap writes under Wireshark's personal configuration directory for the Wireshark GUI.
inline constexpr auto kWiresharkProfileName = "podtap";

/// @brief The text of a Wireshark/tshark `hosts` file mapping every pod IP to `ns/pod`.
///
/// Lines are `IP<TAB>ns/pod`, sorted by IP, one per IP (the first pod given wins). Entries whose
/// IP does not parse or whose names are not DNS names are skipped: pod data comes from the API
/// server and must never inject extra lines.
QByteArray podHostsFileContent(const QList<PodAddress> &pods);

/// Writes podHostsFileContent() to @p path atomically. On failure returns false and fills @p error.
bool writePodHostsFile(const QString &path, const QList<PodAddress> &pods, QString *error);

/// Wireshark's personal configuration directory: $WIRESHARK_CONFIG_DIR, else
/// $XDG_CONFIG_HOME/wireshark, else ~/.config/wireshark (Wireshark's own rule on Linux).
QString wiresharkPersonalConfigDir();

/// Writes `<configDir>/profiles/podtap/hosts` so `wireshark -C podtap -N n` shows pod names.
/// Returns the profile directory, or an empty string with @p error filled.
QString writeWiresharkProfile(const QString &configDir, const QList<PodAddress> &pods, QString *error);

/// Installs the hosts file @p hostsFile (written by writePodHostsFile()) as the podtap profile's
/// `hosts` under @p configDir. Returns the profile directory, or an empty string with @p error filled.
QString installWiresharkProfile(const QString &configDir, const QString &hostsFile, QString *error);

} // namespace podtap
