"""Role ecs_network against the local stack (moto behind the recording proxy).

Modes none and adopt publish the given network (adopt after read-only checks that fail naming the
field) and never change anything. Mode create builds a private network with NAT or VPC endpoints
egress: check on a fresh account mutates nothing, apply creates, apply again and check change nothing
(zero mutating AWS calls), and teardown removes what it created, in dependency order, and nothing else.
Both egress kinds run side by side, as two inventory hosts of the same playbook runs.
"""
from __future__ import annotations

import json
import os

import pytest
import yaml

from stacktools.ansible_run import run_playbook

ROLE = "prefect_ops.ecs.ecs_network"
OWNED = {"prefect-ops:managed-by": "prefect_ops.ecs"}
ENDPOINT_SERVICES = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "sqs", "ecs", "sts"]


def inventory(tmp_path, hosts: dict) -> str:
    """One inventory host per case: their runs go in parallel (forks) in one ansible-playbook."""
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}))
    return str(path)


PLAY = [{"name": "ecs_network under test", "hosts": "all", "gather_facts": False, "roles": [{"role": ROLE}]}]


def run(inv, *, check=False, args=None, extra=None):
    return run_playbook(PLAY, inventory=inv, check=check, args=args, extra_vars=extra)


def ok(result):
    assert result.rc == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result


def published(result, host) -> dict:
    """The network as the role published it: the dict ecs_network, keyed here by the names of its deprecated flat
    aliases, which hold the same values (the role's change record is published by the same task)."""
    res = result.task("Publish the network and what this role changed", host)
    if "ansible_facts" in res:
        facts = res["ansible_facts"]
        flat = {"ecs_network_" + k: v for k, v in facts["ecs_network"].items()}
        assert {k: v for k, v in facts.items() if k not in ("ecs_network", "ecs_network_changes")} == flat
        return flat
    raise AssertionError(f"{host}: no network published")


def tags(obj) -> dict:
    return {t["Key"]: t["Value"] for t in obj.get("Tags", [])}


@pytest.fixture()
def fixture_network():
    return {"ecs_network_vpc_id": os.environ["PREFECT_OPS_FIXTURE_VPC_ID"],
            "ecs_network_subnet_ids": os.environ["PREFECT_OPS_FIXTURE_SUBNET_IDS"].split(","),
            "ecs_network_security_group_ids": [os.environ["PREFECT_OPS_FIXTURE_SECURITY_GROUP_ID"]]}


def test_bad_input_fails_before_any_change_naming_the_field(aws_proxy, aws, tmp_path, unique, fixture_network):
    ec2 = aws("ec2", direct=True)
    other_vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    other_subnet = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.99.1.0/24")["Subnet"]["SubnetId"]
    other_sg = ec2.create_security_group(GroupName=f"{unique}-other", Description="other", VpcId=other_vpc)["GroupId"]
    adopt = {"ecs_network_mode": "adopt", **fixture_network}
    cases = {
        "foreign-subnet": ({**adopt, "ecs_network_subnet_ids": [fixture_network["ecs_network_subnet_ids"][0], other_subnet]},
                           ["ecs_network_subnet_ids", other_subnet]),
        "foreign-sg": ({**adopt, "ecs_network_security_group_ids": [other_sg]},
                       ["ecs_network_security_group_ids", other_sg]),
        "missing-sg": ({**adopt, "ecs_network_security_group_ids": ["sg-0123456789abcdef0"]},
                       ["ecs_network_security_group_ids", "sg-0123456789abcdef0"]),
        "missing-vpc": ({**adopt, "ecs_network_vpc_id": "vpc-0123456789abcdef0"}, ["ecs_network_vpc_id"]),
        "no-sg": ({**adopt, "ecs_network_security_group_ids": []}, ["ecs_network_security_group_ids"]),
        "malformed": ({"ecs_network_subnet_ids": ["subnet-a", "my-subnet"]}, ["ecs_network_subnet_ids"]),
        "misspelt": ({"ecs_network_subnets_ids": []}, ["ecs_network_subnets_ids", "ecs_network_subnet_ids"]),
        "cidr-outside": ({"ecs_network_mode": "create", "ecs_network_private_subnet_cidrs": ["10.42.0.0/19", "10.50.0.0/19"]},
                         ["ecs_network_private_subnet_cidrs", "10.50.0.0/19 is not inside"]),
        "bad-mode": ({"ecs_network_mode": "build"}, ["ecs_network_mode"]),
    }
    inv = inventory(tmp_path, {name: {"prefect_ecs_name": f"{unique}-{name}", **case_vars}
                               for name, (case_vars, _expected) in cases.items()})
    mark = aws_proxy.mark()
    result = run(inv)
    assert aws_proxy.mutating(mark) == []
    for name, (_case_vars, expected) in cases.items():
        failed = [t for t in result.tasks() if t["host"] == name and t.get("failed")]
        assert failed, f"{name}: did not fail"
        text = json.dumps(failed)
        for needle in expected:
            assert needle in text, f"{name}: {needle!r} not in {text[-1500:]}"


@pytest.mark.slow(4)
def test_every_mode_converges_and_teardown_removes_only_what_was_created(
        aws_proxy, aws, tmp_path, unique, fixture_network):
    ec2 = aws("ec2", direct=True)
    sites = {"nat": f"{unique}-nat", "endpoints": f"{unique}-vpce"}
    given = {**fixture_network, "ecs_network_assign_public_ip": False}
    inv = inventory(tmp_path, {
        "nat": {"prefect_ecs_name": sites["nat"], "ecs_network_mode": "create"},
        "endpoints": {"prefect_ecs_name": sites["endpoints"], "ecs_network_mode": "create",
                      "ecs_network_egress": "endpoints", "ecs_network_vpc_cidr": "10.43.0.0/16",
                      "ecs_network_private_subnet_cidrs": ["10.43.0.0/19", "10.43.32.0/19"]},
        # mode none: published as given (no AWS call); adopt: checked in AWS (reads only), then published
        "given": {"prefect_ecs_name": f"{unique}-given", **fixture_network, "ecs_network_assign_public_ip": True},
        "adopted": {"prefect_ecs_name": f"{unique}-adopted", "ecs_network_mode": "adopt", **fixture_network},
        "off": {"prefect_ecs_name": f"{unique}-off"},  # the role is optional: off by default, publishes empty values
    })
    unchanged = {"given": {**given, "ecs_network_assign_public_ip": True}, "adopted": given,
                 "off": {"ecs_network_vpc_id": "", "ecs_network_subnet_ids": [], "ecs_network_security_group_ids": [],
                         "ecs_network_assign_public_ip": False}}

    mark = aws_proxy.mark()
    check = ok(run(inv, check=True))
    assert aws_proxy.mutating(mark) == []
    for host in sites:  # IDs of objects that do not exist yet cannot be predicted: published empty
        assert published(check, host) == unchanged["off"]
    for host, expected in unchanged.items():
        assert published(check, host) == expected and check.changed(host) == 0

    apply = ok(run(inv))
    assert apply.changed("nat") > 0 and apply.changed("endpoints") > 0
    net = {host: published(apply, host) for host in sites}
    for host, expected in unchanged.items():
        assert published(apply, host) == expected and apply.changed(host) == 0

    mark = aws_proxy.mark()
    again = ok(run(inv))
    assert again.changed() == 0 and aws_proxy.mutating(mark) == []
    mark = aws_proxy.mark()
    check = ok(run(inv, check=True, args=["--diff"]))
    assert check.changed() == 0 and aws_proxy.mutating(mark) == []
    for host in sites:
        assert published(again, host) == published(check, host) == net[host]

    for host, site in sites.items():
        vpc_id = net[host]["ecs_network_vpc_id"]
        owned = {**OWNED, "prefect-ops:site": site}
        [vpc] = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
        assert owned.items() <= tags(vpc).items()
        subnets = ec2.describe_subnets(SubnetIds=net[host]["ecs_network_subnet_ids"])["Subnets"]
        assert len({s["AvailabilityZone"] for s in subnets}) == 2
        assert all(s["VpcId"] == vpc_id and not s["MapPublicIpOnLaunch"] for s in subnets)
        [worker_sg] = ec2.describe_security_groups(GroupIds=net[host]["ecs_network_security_group_ids"])["SecurityGroups"]
        assert worker_sg["IpPermissions"] == []  # nothing may connect to the worker (no 8080 to the world)
        assert net[host]["ecs_network_assign_public_ip"] is False
        for kind, items in {
            "subnet": ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"],
            "security group": [g for g in ec2.describe_security_groups(
                Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"] if g["GroupName"] != "default"],
            "route table": [t for t in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
                "RouteTables"] if not any(a.get("Main") for a in t.get("Associations", []))],
        }.items():
            assert items and all(owned.items() <= tags(i).items() for i in items), f"{host}: untagged {kind}"

        private_rt = [t for t in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
                      if tags(t).get("Name") == f"{site}-private"]
        assert len(private_rt) == 1
        assert {a["SubnetId"] for a in private_rt[0]["Associations"] if a.get("SubnetId")} == set(
            net[host]["ecs_network_subnet_ids"])
        default_routes = [r for r in private_rt[0]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        nats = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
        endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
        if host == "nat":
            [nat] = nats
            assert owned.items() <= tags(nat).items()
            assert [r.get("NatGatewayId") for r in default_routes] == [nat["NatGatewayId"]]
            assert endpoints == []
        else:
            assert nats == [] and default_routes == []  # no way to the internet at all
            region = os.environ.get("AWS_REGION", "us-east-1")
            assert sorted(e["ServiceName"] for e in endpoints) == sorted(
                f"com.amazonaws.{region}.{s}" for s in ENDPOINT_SERVICES + ["s3"])
            [s3] = [e for e in endpoints if e["ServiceName"].endswith(".s3")]
            assert s3["VpcEndpointType"] == "Gateway" and s3["RouteTableIds"] == [private_rt[0]["RouteTableId"]]
            [endpoint_sg] = ec2.describe_security_groups(Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": [f"{site}-endpoints"]}])[
                "SecurityGroups"]
            [rule] = endpoint_sg["IpPermissions"]  # HTTPS from the worker group only
            assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
            assert rule["IpRanges"] == [] and [p["GroupId"] for p in rule["UserIdGroupPairs"]] == [worker_sg["GroupId"]]
            assert all({g["GroupId"] for g in e["Groups"]} == {endpoint_sg["GroupId"]}
                       for e in endpoints if e["VpcEndpointType"] == "Interface")

    mark = aws_proxy.mark()
    down = ok(run(inv, extra={"ecs_network_state": "absent"}))
    assert down.changed("nat") > 0 and down.changed("endpoints") > 0
    removed = {c["action"] for c in aws_proxy.mutating(mark)}
    assert {"DeleteVpcEndpoints", "DeleteNatGateway", "ReleaseAddress", "DeleteVpc"} <= removed
    for host in sites:
        assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [net[host]["ecs_network_vpc_id"]]}])["Vpcs"] == []
    # What the role did not create (the given and adopted network) is still there, whole.
    assert ec2.describe_vpcs(VpcIds=[fixture_network["ecs_network_vpc_id"]])["Vpcs"]
    assert len(ec2.describe_subnets(SubnetIds=fixture_network["ecs_network_subnet_ids"])["Subnets"]) == 2
    assert ec2.describe_security_groups(GroupIds=fixture_network["ecs_network_security_group_ids"])["SecurityGroups"]
    mark = aws_proxy.mark()
    ok(run(inv, extra={"ecs_network_state": "absent"}))
    assert aws_proxy.mutating(mark) == []
