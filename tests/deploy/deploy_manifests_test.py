#!/usr/bin/python3
"""Structural checks of the deployment files: deploy/Dockerfile,
deploy/docker-compose.yml and deploy/k8s/*.yaml must agree with each other,
with deploy/test-image.sh (the image name) and with the flags of
profundo-server (server/main.cc) and the commands of the CLI.

Nothing is deployed: the files are parsed (PyYAML, Debian's python3-yaml)
and compared. Registered in ctest with the labels unit and deploy:
  ctest -L deploy
or directly:
  /usr/bin/python3 tests/deploy/deploy_manifests_test.py
"""

import json
import os
import re
import shlex
import unittest

import yaml

ROOT = os.environ.get("PROFUNDO_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
DEPLOY = os.path.join(ROOT, "deploy")
K8S = os.path.join(DEPLOY, "k8s")
# Flags naming files of the Secret (tls_client_ca may stay commented out).
SECRET_FLAGS = ("tls_cert", "tls_key", "tokens_file", "tls_client_ca")
# The flags that make the API port TLS with bearer tokens.
SECURITY_FLAGS = ("tls_cert", "tls_key", "tokens_file")


def read(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as f:
        return f.read()


def flag_values(args):
    """--name=value arguments as {name: value}; the last one wins, as in
    absl's flag parsing."""
    flags = {}
    for a in args:
        m = re.fullmatch(r"--([A-Za-z0-9_]+)=(.*)", a)
        if m:
            flags[m.group(1)] = m.group(2)
    return flags


def parse_dockerfile(text):
    """Instructions as (KEYWORD, argument text), continuation lines joined,
    comments dropped."""
    instructions, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if current and line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        keyword, _, rest = current.strip().partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        current = ""
    return instructions


def exec_form(text):
    """A JSON exec form ["a", "b"] or a shell form split like a shell."""
    text = text.strip()
    if text.startswith("["):
        return json.loads(text)
    return shlex.split(text)


def cpu_cores(quantity):
    """A Kubernetes CPU quantity ("2", "1.5", "500m") in cores."""
    quantity = str(quantity)
    if quantity.endswith("m"):
        return float(quantity[:-1]) / 1000
    return float(quantity)


class Dockerfile:
    def __init__(self):
        self.instructions = parse_dockerfile(read(DEPLOY, "Dockerfile"))
        stages, stage = [], None
        for keyword, arg in self.instructions:
            if keyword == "FROM":
                stage = []
                stages.append((arg, stage))
            elif stage is not None:
                stage.append((keyword, arg))
        self.stages = stages
        self.final_from, self.final = stages[-1]

    def last(self, keyword):
        values = [arg for k, arg in self.final if k == keyword]
        return values[-1] if values else None

    def all(self, keyword):
        return [arg for k, arg in self.final if k == keyword]

    def entrypoint_flags(self):
        args = exec_form(self.last("ENTRYPOINT")) + exec_form(self.last("CMD") or "[]")
        return flag_values(args)

    def healthcheck_command(self):
        arg = self.last("HEALTHCHECK")
        m = re.search(r"\bCMD\s+(.*)$", arg)
        return exec_form(m.group(1))


def server_flags():
    """The ABSL_FLAG names of profundo-server (server/*.cc), or None if the
    server is not there."""
    server_dir = os.path.join(ROOT, "server")
    if not os.path.isdir(server_dir):
        return None
    names = set()
    for name in os.listdir(server_dir):
        if name.endswith(".cc"):
            names.update(re.findall(r"ABSL_FLAG\(\s*[^,]+,\s*(\w+)\s*,",
                                    read(server_dir, name)))
    return names


def cli_commands():
    """The CLI's command names (client/cli/cli.cc's table), or None."""
    path = os.path.join(ROOT, "client", "cli", "cli.cc")
    if not os.path.exists(path):
        return None
    return set(re.findall(r'\{\s*"([a-z-]+)",\s*Run\w+', read(path)))


def deploy_secrets_ignored():
    """True if deploy/secrets/.gitignore ignores everything but itself and
    its README."""
    path = os.path.join(DEPLOY, "secrets", ".gitignore")
    if not os.path.exists(path):
        return False
    lines = [l.strip() for l in read(path).splitlines()
             if l.strip() and not l.startswith("#")]
    return lines[0] == "*" and all(l.startswith("!") for l in lines[1:])


def k8s_objects():
    objects = {}
    for name in sorted(os.listdir(K8S)):
        if not name.endswith(".yaml") or name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(read(K8S, name)):
            if doc:
                objects[(doc["kind"], doc["metadata"]["name"])] = (name, doc)
    return objects


def one(objects, kind):
    found = [doc for (k, _), (_, doc) in objects.items() if k == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


class DeployManifestsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docker = Dockerfile()
        cls.objects = k8s_objects()
        cls.deployment = one(cls.objects, "Deployment")
        cls.service = one(cls.objects, "Service")
        cls.pvc = one(cls.objects, "PersistentVolumeClaim")
        cls.secret = one(cls.objects, "Secret")
        containers = cls.deployment["spec"]["template"]["spec"]["containers"]
        assert len(containers) == 1, "one container: profundo-server"
        cls.container = containers[0]
        cls.pod = cls.deployment["spec"]["template"]["spec"]
        cls.k8s_flags = dict(cls.docker.entrypoint_flags())
        if cls.container.get("command"):
            cls.k8s_flags = flag_values(cls.container["command"])
        cls.k8s_flags.update(flag_values(cls.container.get("args", [])))
        cls.compose = yaml.safe_load(read(DEPLOY, "docker-compose.yml"))
        cls.compose_service = cls.compose["services"]["profundo"]
        m = re.search(r"^image=\$\{PROFUNDO_IMAGE:-([^}]+)\}",
                      read(DEPLOY, "test-image.sh"), re.M)
        cls.test_image = m.group(1)

    # ------------------------------------------------------------ Dockerfile

    def test_dockerfile_builds_release_binaries_from_bookworm(self):
        froms = [f for f, _ in self.docker.stages]
        self.assertEqual(len(froms), 2, "multi-stage: build + runtime")
        self.assertTrue(froms[0].startswith("debian:bookworm-slim AS "))
        self.assertEqual(self.docker.final_from, "debian:bookworm-slim")
        build_runs = " ".join(a for k, a in self.docker.stages[0][1] if k == "RUN")
        self.assertIn("install-deps.sh --build-only", build_runs)
        self.assertIn("-DPROFUNDO_BUILD_TESTS=OFF", build_runs)
        self.assertIn("-DPROFUNDO_BUILD_BENCH=OFF", build_runs)
        # The runtime stage installs no -dev package and no compiler.
        runtime_runs = " ".join(self.docker.all("RUN"))
        self.assertNotRegex(runtime_runs, r"-dev\b|build-essential|cmake")

    def test_dockerfile_runs_as_non_root_with_data_volume_and_port(self):
        user = self.docker.last("USER")
        self.assertIsNotNone(user)
        self.assertNotIn(user.split(":")[0], ("0", "root"))
        flags = self.docker.entrypoint_flags()
        self.assertIn("data_dir", flags)
        self.assertIn(json.dumps(flags["data_dir"]), self.docker.last("VOLUME"))
        port = flags["listen"].rsplit(":", 1)[1]
        self.assertIn(port, self.docker.last("EXPOSE").split())

    def test_dockerfile_healthcheck_uses_the_plaintext_health_port(self):
        # The health check must work when TLS is on: it goes to
        # --health_listen (plaintext, grpc.health.v1 only), not --listen.
        flags = self.docker.entrypoint_flags()
        self.assertIn("health_listen", flags)
        health_port = flags["health_listen"].rsplit(":", 1)[1]
        self.assertNotEqual(health_port, flags["listen"].rsplit(":", 1)[1])
        self.assertIn(health_port, self.docker.last("EXPOSE").split())
        self.assertIn(f"--server=127.0.0.1:{health_port}",
                      self.docker.healthcheck_command())

    def test_healthcheck_uses_an_existing_cli_command(self):
        command = self.docker.healthcheck_command()
        self.assertEqual(command[0], "profundo")
        commands = cli_commands()
        if commands is None:
            self.skipTest("client/cli not there")
        positional = [a for a in command[1:] if not a.startswith("-")]
        self.assertEqual(len(positional), 1, command)
        self.assertIn(positional[0], commands,
                      "the HEALTHCHECK's CLI command must exist")
        # `profundo ping` is the grpc.health.v1 check (`profundo health`
        # takes a job id).
        self.assertEqual(positional[0], "ping")

    # ----------------------------------------------------------- image name

    def test_image_name_is_the_one_test_image_builds(self):
        self.assertEqual(self.container["image"], self.test_image)
        self.assertEqual(self.compose_service["image"], self.test_image)
        self.assertEqual(self.compose_service["build"]["dockerfile"],
                         "deploy/Dockerfile")

    # ------------------------------------------------------------ k8s ports

    def test_k8s_serves_tls_with_tokens(self):
        for flag in SECURITY_FLAGS:
            self.assertIn(flag, self.k8s_flags, f"--{flag} in the k8s args")
        volume = [v for v in self.pod["volumes"] if "secret" in v][0]
        self.assertFalse(volume["secret"].get("optional", False),
                         "without its Secret the pod must not start")

    def test_probes_use_the_health_port_and_service_the_api_port(self):
        ports = {p["name"]: p["containerPort"] for p in self.container["ports"]}
        listen_port = int(self.k8s_flags["listen"].rsplit(":", 1)[1])
        self.assertIn(listen_port, ports.values())
        self.assertIn(str(listen_port), self.docker.last("EXPOSE").split())
        # The kubelet's gRPC probe speaks plaintext without a token: with
        # TLS on it must go to --health_listen.
        probe_port = listen_port
        if "tls_cert" in self.k8s_flags:
            self.assertIn("health_listen", self.k8s_flags)
            probe_port = int(self.k8s_flags["health_listen"].rsplit(":", 1)[1])
            self.assertNotEqual(probe_port, listen_port)
            self.assertIn(probe_port, ports.values())
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            with self.subTest(probe=probe):
                if probe == "startupProbe" and probe not in self.container:
                    continue
                spec = self.container[probe]
                self.assertIn("grpc", spec, f"{probe}: native gRPC probe")
                self.assertEqual(spec["grpc"]["port"], probe_port)
        # The Service carries the API only (the health port stays in the pod).
        for port in self.service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            target = ports.get(target, target)
            self.assertEqual(target, listen_port)

    def test_readiness_probe_names_the_api_service(self):
        service = self.container["readinessProbe"]["grpc"].get("service")
        if service is None:
            return  # the server's overall status
        proto = read(ROOT, "proto", "profundo", "v1", "service.proto")
        package = re.search(r"^package\s+([\w.]+);", proto, re.M).group(1)
        names = re.findall(r"^service\s+(\w+)", proto, re.M)
        self.assertIn(service, [f"{package}.{n}" for n in names])

    def test_service_and_deployment_select_the_pods(self):
        labels = self.deployment["spec"]["template"]["metadata"]["labels"]
        for selector in (self.service["spec"]["selector"],
                         self.deployment["spec"]["selector"]["matchLabels"]):
            for key, value in selector.items():
                self.assertEqual(labels.get(key), value)

    # ---------------------------------------------------------- k8s volumes

    def mounts_of(self, volume_kind):
        volumes = {v["name"]: v for v in self.pod["volumes"] if volume_kind in v}
        return [(m, volumes[m["name"]]) for m in self.container["volumeMounts"]
                if m["name"] in volumes]

    def test_pvc_is_mounted_at_the_data_dir(self):
        mounts = self.mounts_of("persistentVolumeClaim")
        self.assertEqual(len(mounts), 1)
        mount, volume = mounts[0]
        self.assertEqual(volume["persistentVolumeClaim"]["claimName"],
                         self.pvc["metadata"]["name"])
        self.assertEqual(mount["mountPath"].rstrip("/"),
                         self.k8s_flags["data_dir"].rstrip("/"))
        self.assertFalse(mount.get("readOnly", False))
        self.assertEqual(self.deployment["spec"]["strategy"]["type"], "Recreate",
                         "a ReadWriteOnce catalog: never two pods at once")

    def test_pod_user_matches_the_image_user(self):
        uid = int(self.docker.last("USER").split(":")[0])
        security = self.pod["securityContext"]
        self.assertTrue(security["runAsNonRoot"])
        self.assertEqual(security.get("runAsUser", uid), uid)
        self.assertEqual(security.get("fsGroup"), uid,
                         "the volume must be writable by the image's user")

    def test_secret_is_mounted_where_the_security_flags_point(self):
        mounts = self.mounts_of("secret")
        self.assertEqual(len(mounts), 1)
        mount, volume = mounts[0]
        self.assertEqual(volume["secret"]["secretName"],
                         self.secret["metadata"]["name"])
        self.assertTrue(mount.get("readOnly"))
        keys = set(self.secret.get("stringData", {})) | set(self.secret.get("data", {}))
        # Active args and the ones commented out (--tls_client_ca) must
        # agree with the Secret's keys and mount path.
        text = read(K8S, "deployment.yaml")
        seen = {}
        for flag, path in re.findall(r"--(\w+)=(\S+)", text):
            if flag in SECRET_FLAGS:
                seen[flag] = path
        self.assertEqual(set(seen), set(SECRET_FLAGS))
        for flag, path in seen.items():
            with self.subTest(flag=flag):
                directory, key = os.path.split(path)
                self.assertEqual(directory, mount["mountPath"].rstrip("/"))
                self.assertIn(key, keys)

    # --------------------------------------------------------- k8s resources

    def test_cpu_request_matches_workers_and_threads(self):
        workers = int(self.k8s_flags["workers"])
        threads = int(self.k8s_flags["threads_per_worker"])
        self.assertGreater(threads, 0, "state --threads_per_worker explicitly: "
                           "0 means host cores / workers, not the request")
        requests = self.container["resources"]["requests"]
        self.assertEqual(cpu_cores(requests["cpu"]), workers * threads)
        self.assertIn("memory", requests)
        limits = self.container["resources"].get("limits", {})
        if "cpu" in limits:
            self.assertGreaterEqual(cpu_cores(limits["cpu"]), workers * threads)

    def test_flags_exist_in_the_server(self):
        known = server_flags()
        if known is None:
            self.skipTest("server/ not there")
        used = dict(self.docker.entrypoint_flags())
        used.update(self.k8s_flags)
        used.update(flag_values(self.compose_service.get("command", [])))
        for flag in used:
            with self.subTest(flag=flag):
                self.assertIn(flag, known, f"--{flag} is not a profundo-server flag")

    def test_kustomization_lists_existing_files_but_not_the_secret(self):
        kustomization = yaml.safe_load(read(K8S, "kustomization.yaml"))
        resources = kustomization["resources"]
        for name in resources:
            self.assertTrue(os.path.exists(os.path.join(K8S, name)), name)
        secret_file = self.objects[("Secret", self.secret["metadata"]["name"])][0]
        self.assertNotIn(secret_file, resources)
        listed = {self.objects[key][0] for key in self.objects} - {secret_file}
        self.assertEqual(set(resources), listed)

    # --------------------------------------------------------------- compose

    def test_compose_security_flags_come_from_mounted_secrets(self):
        command = self.compose_service.get("command", [])
        flags = flag_values(command)
        for flag in SECRET_FLAGS:
            with self.subTest(flag=flag):
                # Optional: empty unless the environment names a file.
                self.assertRegex(flags.get(flag, ""),
                                 r"^\$\{PROFUNDO_[A-Z_]+:-\}$")
        mounts = [v for v in self.compose_service["volumes"]
                  if v.split(":")[0].startswith("./")]
        self.assertEqual(len(mounts), 1)
        source, target, mode = mounts[0].split(":")
        self.assertEqual(mode, "ro")
        self.assertTrue(os.path.isdir(os.path.join(DEPLOY, source)),
                        "the mounted secrets directory exists")
        self.assertTrue(deploy_secrets_ignored(),
                        "git must ignore what is put in the secrets directory")
        self.assertIn("/run/secrets/profundo", target)

    def test_compose_volume_healthcheck_and_port_match_the_dockerfile(self):
        flags = self.docker.entrypoint_flags()
        flags.update(flag_values(self.compose_service.get("command", [])))
        named = [v for v in self.compose_service["volumes"]
                 if v.split(":")[0] in self.compose.get("volumes", {})]
        self.assertEqual(len(named), 1, "one named volume: the data dir")
        source, target = named[0].split(":")[:2]
        self.assertEqual(target, flags["data_dir"])
        self.assertEqual(target, json.loads(self.docker.last("VOLUME"))[0])
        test = self.compose_service["healthcheck"]["test"]
        self.assertEqual(test[0], "CMD")
        self.assertEqual(test[1:], self.docker.healthcheck_command())
        port = flags["listen"].rsplit(":", 1)[1]
        self.assertIn(port, [str(p).rsplit(":", 1)[-1]
                             for p in self.compose_service["ports"]])


if __name__ == "__main__":
    unittest.main(verbosity=2)
