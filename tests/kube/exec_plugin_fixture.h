// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "sim_fixture.h"

#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>

namespace podtap::test {

/// Lines in @p path (0 when it does not exist): how often an exec plugin ran.
inline int lineCount(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? int(file.readAll().count('\n')) : 0;
}

/// Shell lines printing an ExecCredential whose token is the shell expression @p tokenExpression.
inline QByteArray printCredential(const QByteArray &tokenExpression)
{
    return "printf '{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\",\"status\":"
           "{\"token\":\"%s\"}}\\n' \"" +
        tokenExpression + "\"\n";
}

/// Rewrites the sim's (token) kubeconfig so its user runs @p pluginBody, a shell script, instead of
/// holding the token: the shape of EKS, GKE, AKS and OIDC kubeconfigs. The script sees the right
/// token as $GOOD and @p dir as $DIR; each run appends a line to $DIR/runs.log.
/// Returns the new kubeconfig's path, empty on failure.
inline QString execPluginKubeconfig(const SimFixture &sim, const QTemporaryDir &dir, const QByteArray &pluginBody)
{
    QFile in(sim.kubeconfig());
    if (!in.open(QIODevice::ReadOnly))
        return {};
    const QByteArray original = in.readAll();
    const QRegularExpression tokenLine(QStringLiteral("\\n    token: (\\S+)\\n"));
    const QRegularExpressionMatch match = tokenLine.match(QString::fromUtf8(original));
    if (!match.hasMatch())
        return {};
    const QString pluginPath = dir.filePath(QStringLiteral("cloud-login"));
    QFile plugin(pluginPath);
    if (!plugin.open(QIODevice::WriteOnly))
        return {};
    plugin.write("#!/bin/sh\nGOOD='" + match.captured(1).toUtf8() + "'\nDIR='" + dir.path().toUtf8() +
        "'\necho run >> \"$DIR/runs.log\"\n" + pluginBody);
    plugin.close();
    plugin.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);

    QByteArray config = original;
    config.replace(match.captured(0).toUtf8(),
        "\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " + pluginPath.toUtf8() +
            "\n      interactiveMode: Never\n");
    const QString path = dir.filePath(QStringLiteral("kubeconfig"));
    QFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(config) != config.size())
        return {};
    return path;
}

} // namespace podtap::test
