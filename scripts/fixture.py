#!/usr/bin/env python
"""Emulator-only fixture: create in moto what a real AWS account already has.

A VPC with DNS hostnames and DNS support enabled (moto's RunTask fails without them), two subnets in
two availability zones, and a security group. Idempotent (found again by its Name tag). The IDs go
to <stack dir>/fixture.env and from there into the stack's env file:
PREFECT_OPS_FIXTURE_VPC_ID, PREFECT_OPS_FIXTURE_SUBNET_IDS (comma separated),
PREFECT_OPS_FIXTURE_SECURITY_GROUP_ID.

This is not part of the product: real users bring their own network (or use the network role).
It talks to moto directly, not through the recording proxy, so it never shows up in a run's record.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3

NAME = "prefect-ops-fixture"


def ensure_network(ec2) -> tuple[str, list[str], str]:
    """(VPC ID, two subnet IDs, security group ID) of the fixture network in the client's region and account,
    created when missing."""
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [NAME]}])["Vpcs"]
    if vpcs:
        vpc_id = vpcs[0]["VpcId"]
    else:
        vpc_id = ec2.create_vpc(CidrBlock="10.99.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": NAME}]}])["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}] + [
        {"Name": "tag:Name", "Values": [NAME]}])["Subnets"]
    have = {s["CidrBlock"]: s["SubnetId"] for s in subnets}
    subnet_ids = []
    for i, zone in enumerate(zones):
        cidr = f"10.99.{i}.0/24"
        if cidr not in have:
            have[cidr] = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone, TagSpecifications=[
                {"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": NAME}]}])["Subnet"]["SubnetId"]
        subnet_ids.append(have[cidr])
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                   {"Name": "group-name", "Values": [NAME]}])["SecurityGroups"]
    if groups:
        sg_id = groups[0]["GroupId"]
    else:
        sg_id = ec2.create_security_group(GroupName=NAME, Description="prefect_ops.ecs local fixture",
                                          VpcId=vpc_id)["GroupId"]
    return vpc_id, subnet_ids, sg_id


def main() -> int:
    stack_dir = Path(os.environ["PREFECT_OPS_STACK_DIR"])
    region = os.environ.get("AWS_REGION", "us-east-1")
    ec2 = boto3.client("ec2", region_name=region, endpoint_url=os.environ["PREFECT_OPS_MOTO_URL"])
    vpc_id, subnet_ids, sg_id = ensure_network(ec2)
    (stack_dir / "fixture.env").write_text(
        f"PREFECT_OPS_FIXTURE_VPC_ID={vpc_id}\n"
        f"PREFECT_OPS_FIXTURE_SUBNET_IDS={','.join(subnet_ids)}\n"
        f"PREFECT_OPS_FIXTURE_SECURITY_GROUP_ID={sg_id}\n"
    )
    subprocess.run([sys.executable, str(Path(__file__).with_name("stack.py")), "refresh-env"], check=True)
    print(f"fixture: vpc {vpc_id}, subnets {','.join(subnet_ids)}, security group {sg_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
