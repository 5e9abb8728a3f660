// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace podtap {

/// The file name of podtap's Wireshark extcap, and of the links `podtapctl extcap install` makes.
inline constexpr char kExtcapProgramName[] = "podtap-extcap";

/// podtap-extcap: $PODTAP_EXTCAP, then next to @p applicationDir, ../libexec/podtap/, and the build tree
/// (app/extcap next to app/cli or app/gui). Empty when not found.
QString findExtcapExecutable(const QString &applicationDir);

/// Wireshark's personal extcap folders for @p home and @p environment, oldest layout first:
/// Wireshark 4.0 and 4.1 read `$XDG_CONFIG_HOME/wireshark/extcap` (default `~/.config/wireshark/extcap`),
/// 4.2 and later `~/.local/lib/wireshark/extcap`. Both are returned: an operator may run either release (a
/// distribution's and a Flatpak's), and a link in a folder a release does not read is harmless.
QStringList personalExtcapFolders(const QString &home, const QProcessEnvironment &environment);

/// @brief What installing or removing the extcap links did, folder by folder.
struct ExtcapInstallResult
{
    QStringList changed; ///< links made or removed (full paths)
    QStringList unchanged; ///< links already as wanted, or folders with nothing of podtap's to remove
    QStringList errors; ///< each names the path, the operation, the reason and what to do
    bool ok() const { return errors.isEmpty(); }
    /// One human sentence per folder, for the CLI and the console's message box.
    QString summary() const;
};

/// Links @p extcap (an absolute path) into each of @p folders as `podtap-extcap`, creating the folders. An existing
/// link of podtap's is replaced; a regular file or a foreign link of that name is left alone and reported.
ExtcapInstallResult installExtcapLinks(const QString &extcap, const QStringList &folders);
/// Removes `podtap-extcap` from each of @p folders, but only where it is a symbolic link to a podtap-extcap (a link
/// this installer made); anything else of that name is left and reported.
ExtcapInstallResult uninstallExtcapLinks(const QStringList &folders);

} // namespace podtap
