// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QString>
#include <QStringList>

namespace podtap {

/// @brief Where Wireshark's programs are on this machine; an empty path means not found.
struct CaptureTools
{
    QString wireshark;
    QString tshark;
    QString dumpcap;
};

/// Directories searched after PATH: the usual install places on Linux (distribution, /usr/local,
/// snap, flatpak exported binaries) and macOS (the Wireshark app bundle).
QStringList usualCaptureToolDirs();

/// The first executable called @p name in @p pathDirs, then @p extraDirs. Empty when none.
QString findExecutable(const QString &name, const QStringList &pathDirs, const QStringList &extraDirs);

/// Finds wireshark, tshark and dumpcap on PATH and in usualCaptureToolDirs(). A flatpak install
/// exports only `org.wireshark.Wireshark`, which is taken for wireshark.
CaptureTools findCaptureTools();

/// @brief Whether this user can capture with dumpcap, and if not, why and how to fix it.
struct CaptureRights
{
    bool canCapture = false;
    QString problem; ///< empty when canCapture
    QString fix;
};

/// @brief The facts CaptureRights is decided from, so the decision can be tested without changing the machine.
struct CaptureRightsFacts
{
    QString dumpcapPath; ///< empty: not found
    bool isRoot = false;
    bool executable = false; ///< this user may run dumpcap
    bool hasFileCapabilities = false; ///< cap_net_raw and cap_net_admin in dumpcap's permitted+effective file caps
    bool setuidRoot = false;
    QString fileGroup; ///< dumpcap's group (e.g. "wireshark")
    bool inFileGroup = false; ///< this user is in that group
};

/// Reads the facts for @p dumpcapPath (its mode, owner, group and security.capability xattr) and this process's
/// identity.
CaptureRightsFacts captureRightsFacts(const QString &dumpcapPath);

CaptureRights evaluateCaptureRights(const CaptureRightsFacts &facts);

/// evaluateCaptureRights(captureRightsFacts(path)).
CaptureRights checkCaptureRights(const QString &dumpcapPath);

} // namespace podtap
