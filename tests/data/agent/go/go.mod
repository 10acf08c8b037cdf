module example.com/agentbench

go 1.19
