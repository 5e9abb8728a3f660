// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

// Inside a Flatpak sandbox the programs podtap hands work to (Wireshark, tshark, kubeconfig exec
// credential plugins such as aws, gke-gcloud-auth-plugin or kubelogin) are not in the sandbox: they
// live on the host. The sandbox reaches them through `flatpak-spawn --host`, which asks the Flatpak
// session helper over D-Bus to start them; the app needs `--talk-name=org.freedesktop.Flatpak` for that.
namespace podtap {

/// @brief Where podtap runs: directly on the machine, or inside a Flatpak sandbox.
enum class HostSandbox { None, Flatpak };

/// HostSandbox::Flatpak when this process runs in a Flatpak sandbox (Flatpak puts /.flatpak-info
/// in every sandbox), else HostSandbox::None.
HostSandbox currentSandbox();

/// @brief A program and its arguments, ready for QProcess (never through a shell).
struct HostCommand
{
    QString program;
    QStringList arguments;
};

/// How to start @p program with @p arguments on the host. Outside a sandbox: unchanged, and @p env is
/// left to the caller's QProcessEnvironment. Inside a Flatpak: `flatpak-spawn --host --watch-bus
/// [--env=NAME=VALUE ...] -- program arguments`; only @p env crosses over (the sandbox's own
/// environment names sandbox paths the host does not have), and --watch-bus ends the host program
/// when podtap goes away or kills flatpak-spawn.
HostCommand hostCommand(const QString &program, const QStringList &arguments,
    const QList<QPair<QString, QString>> &env = {}, HostSandbox sandbox = currentSandbox());

/// The first of @p names found on the host's PATH, then in @p extraDirs, as an absolute path; empty when
/// none is. Outside a sandbox that is this process's PATH; inside a Flatpak the host's shell answers
/// through flatpak-spawn (which takes up to @p timeoutMs).
QString findOnHost(const QStringList &names, const QStringList &extraDirs = {}, int timeoutMs = 10000,
    HostSandbox sandbox = currentSandbox());

/// The sentence to add to an error about a host program that did not start inside a Flatpak: what the
/// sandbox needs for it. Empty outside a sandbox.
QString hostCommandHint(HostSandbox sandbox = currentSandbox());

} // namespace podtap
