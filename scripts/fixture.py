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
    ensure_route_out(ec2, vpc_id, subnet_ids, zones[0])
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                   {"Name": "group-name", "Values": [NAME]}])["SecurityGroups"]
    if groups:
        sg_id = groups[0]["GroupId"]
    else:
        sg_id = ec2.create_security_group(GroupName=NAME, Description="prefect_ops.ecs local fixture",
                                          VpcId=vpc_id)["GroupId"]
    return vpc_id, subnet_ids, sg_id


def ensure_route_out(ec2, vpc_id: str, subnet_ids: list[str], zone: str) -> None:
    """What a real account's private subnets have: a default route through a NAT gateway (in a public subnet behind an
    internet gateway), so ecs_verify's route check passes. Idempotent (found by the Name tag)."""
    tag = [{"Name": "tag:Name", "Values": [NAME]}]
    gateways = ec2.describe_internet_gateways(Filters=tag + [{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
    if gateways["InternetGateways"]:
        igw = gateways["InternetGateways"][0]["InternetGatewayId"]
    else:
        igw = ec2.create_internet_gateway(TagSpecifications=[
            {"ResourceType": "internet-gateway", "Tags": [{"Key": "Name", "Value": NAME}]}])["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    public = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "cidr-block", "Values": ["10.99.100.0/24"]}])["Subnets"]
    public_id = public[0]["SubnetId"] if public else ec2.create_subnet(
        VpcId=vpc_id, CidrBlock="10.99.100.0/24", AvailabilityZone=zone, TagSpecifications=[
            {"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": NAME + "-public"}]}])["Subnet"]["SubnetId"]
    nats = [n for n in ec2.describe_nat_gateways(Filters=[{"Name": "subnet-id", "Values": [public_id]}])["NatGateways"]
            if n.get("State") in ("pending", "available")]
    if nats:
        nat = nats[0]["NatGatewayId"]
    else:
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=public_id, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    tables = ec2.describe_route_tables(Filters=tag + [{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    if tables:
        table = tables[0]["RouteTableId"]
    else:
        table = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=[
            {"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": NAME}]}])["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    associated = {a.get("SubnetId") for t in ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"]
                  for a in t.get("Associations") or []}
    for subnet in subnet_ids:
        if subnet not in associated:
            ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)


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
