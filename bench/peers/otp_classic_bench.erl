%% The Erlang/OTP peer of bench/kernel-classic.ts: four classic actor workloads, each done
%% the plain Erlang way (spawn, !, receive), so the troupe figures have a runtime built for
%% exactly this beside them.
%%
%%   erlc -o DIR otp_classic_bench.erl
%%   erl -noshell -pa DIR -run otp_classic_bench main Workload Arg...
%%
%%   burst N               one process sends N messages to another from one loop; until the
%%                         receiver has counted them all.
%%   fanIn P M             P producers, each told to send M messages to one sink; until the
%%                         sink has counted P * M.
%%   spawnStop N           a parent spawns N plain children (no link, no monitor) and sends
%%                         each one message; each child sends one back and exits; until the
%%                         parent has N replies and the node's process count is back where it
%%                         was before the parent started (every child gone).
%%   validated N           N messages, each a 5-field map, to one process that checks every
%%                         field with guards (and every tag is a binary); until it has all N.
%%
%% Each call first runs the workload at a tenth of its size (warm-up, as the troupe side
%% does), then the timed run. Prints one JSON line on stdout and halts.
-module(otp_classic_bench).

-export([main/1]).

-define(TIMEOUT, 60000).

main([Workload | Args]) ->
    try run(Workload, [list_to_integer(A) || A <- Args]) of
        {N, Us} ->
            io:format(
                "{\"otp\":\"~s\",\"schedulers\":~b,\"workload\":\"~s\",\"n\":~b,\"us\":~b}~n",
                [
                    erlang:system_info(otp_release),
                    erlang:system_info(schedulers_online),
                    Workload,
                    N,
                    Us
                ]
            ),
            halt(0)
    catch
        C:R:St ->
            io:format(standard_error, "otp_classic_bench failed: ~p:~p~n~p~n", [C, R, St]),
            halt(1)
    end.

run("burst", [N]) ->
    timed(N, fun burst/1, [N div 10], [N]);
run("fanIn", [P, M]) ->
    timed(P * M, fun fan_in/2, [P, M div 10], [P, M]);
run("spawnStop", [N]) ->
    timed(N, fun spawn_stop/1, [N div 10], [N]);
run("validated", [N]) ->
    timed(N, fun validated/1, [N div 10], [N]).

%% The warm-up run, then the timed one from a freshly collected driver: {N, microseconds}.
timed(N, F, Warm, Args) ->
    apply(F, Warm),
    erlang:garbage_collect(),
    {N, apply(F, Args)}.

now_us() -> erlang:monotonic_time(microsecond).

%% ---- burst ------------------------------------------------------------------------------

burst(N) ->
    Self = self(),
    Counter = spawn(fun() -> count(N, Self) end),
    Sender = spawn(fun() ->
        receive
            go -> send_n(Counter, N)
        end
    end),
    T0 = now_us(),
    Sender ! go,
    await(counted),
    now_us() - T0.

send_n(_To, 0) ->
    ok;
send_n(To, K) ->
    To ! {add, 1},
    send_n(To, K - 1).

count(0, Driver) ->
    Driver ! counted;
count(K, Driver) ->
    receive
        {add, _} -> count(K - 1, Driver)
    after ?TIMEOUT -> exit(count_stalled)
    end.

%% ---- fan-in -----------------------------------------------------------------------------

fan_in(P, M) ->
    Self = self(),
    Sink = spawn(fun() -> count(P * M, Self) end),
    Producers = [
        spawn(fun() ->
            receive
                go -> send_n(Sink, M)
            end
        end)
     || _ <- lists:seq(1, P)
    ],
    T0 = now_us(),
    [Pr ! go || Pr <- Producers],
    await(counted),
    now_us() - T0.

%% ---- spawn and stop ---------------------------------------------------------------------

spawn_stop(N) ->
    Self = self(),
    Before = erlang:system_info(process_count),
    Parent = spawn(fun() ->
        receive
            go -> ok
        end,
        spawn_children(self(), N),
        replies(N),
        Self ! counted
    end),
    T0 = now_us(),
    Parent ! go,
    await(counted),
    %% Plain processes tell no one when they exit: wait until every child (and the parent)
    %% is gone from the process table, as the troupe side waits for every stopped event.
    all_gone(Before, now_us() + ?TIMEOUT * 1000),
    now_us() - T0.

spawn_children(_Parent, 0) ->
    ok;
spawn_children(Parent, K) ->
    Child = spawn(fun() ->
        receive
            ping -> Parent ! pong
        end
    end),
    Child ! ping,
    spawn_children(Parent, K - 1).

replies(0) ->
    ok;
replies(K) ->
    receive
        pong -> replies(K - 1)
    after ?TIMEOUT -> exit(children_stalled)
    end.

all_gone(Before, Deadline) ->
    case erlang:system_info(process_count) =< Before of
        true ->
            ok;
        false ->
            now_us() < Deadline orelse error(children_linger),
            erlang:yield(),
            all_gone(Before, Deadline)
    end.

%% ---- validated --------------------------------------------------------------------------

validated(N) ->
    Self = self(),
    Record = #{
        id => 42,
        name => <<"troupe">>,
        ok => true,
        score => 0.5,
        tags => [<<"a">>, <<"b">>]
    },
    Checker = spawn(fun() -> check(N, 0, Self) end),
    T0 = now_us(),
    send_n_term(Checker, Record, N),
    receive
        {checked, 0} -> ok;
        {checked, Bad} -> error({invalid, Bad})
    after ?TIMEOUT -> error(check_stalled)
    end,
    now_us() - T0.

send_n_term(_To, _Msg, 0) ->
    ok;
send_n_term(To, Msg, K) ->
    To ! Msg,
    send_n_term(To, Msg, K - 1).

check(0, Bad, Driver) ->
    Driver ! {checked, Bad};
check(K, Bad, Driver) ->
    receive
        #{id := Id, name := Name, ok := Ok, score := Score, tags := Tags} when
            is_integer(Id), is_binary(Name), is_boolean(Ok), is_number(Score), is_list(Tags)
        ->
            case all_binaries(Tags) of
                true -> check(K - 1, Bad, Driver);
                false -> check(K - 1, Bad + 1, Driver)
            end;
        _ ->
            check(K - 1, Bad + 1, Driver)
    after ?TIMEOUT -> exit(check_stalled)
    end.

all_binaries([]) -> true;
all_binaries([B | T]) when is_binary(B) -> all_binaries(T);
all_binaries(_) -> false.

await(Msg) ->
    receive
        Msg -> ok
    after ?TIMEOUT -> error({timeout, Msg})
    end.
